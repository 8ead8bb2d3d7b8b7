// chain.migrate(remoteHost): running per-element steps move to another host of
// the cluster (test/cluster/placement-host.ts in an OS process of its own) and
// go on there with their state. Every test counts what the consumer got: each
// record once, in order, equal to the run without a migration. Also the strict
// refusal (nothing moves, no stream is made), the far host's dependency check
// (it refuses with the whole list; the steps run on here) and the far host
// killed with -9 after the migration (an exact prefix, then host-lost).
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { migrate } from '../../api/migrate.js';
import { transportOf } from '../../engine/ports.js';
import { Process } from '../../engine/process.js';
import { scan } from '../../processes/elements/scan.js';
import { collect } from '../../processes/sinks/collect.js';
import { from } from '../../processes/sources/from.js';
import { HostLostError } from '../../cluster/jetstream-link.js';
import { joinCluster } from '../../cluster/membership.js';
import { PlacementUnansweredError } from '../../cluster/placement-messages.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { MigrationRefusedError } from '../../freezer/migrate.js';
import { uniq } from '../../processes/elements/uniq.js';
import { MissingDependenciesError } from '../../transport/modules.js';
import { bundle, removeBundles, runBundle, type HostChild } from './bundled-child.js';
import { drive, migrationPipeline, zipLine, lineTheHostLacks } from '../support/migration-pipeline.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** map -> scan -> uniq -> take, as the steps compute it: a running state in scan, uniq and take. */
function expectedOf(xs: readonly number[], limit: number): number[] {
  const out: number[] = [];
  let acc = 5;
  let last: number | undefined;
  for (const x of xs) {
    acc = (acc + Math.floor((x * 7) / 3)) % 1000;
    if (acc === last) continue;
    last = acc;
    out.push(acc);
    if (out.length === limit) break;
  }
  return out;
}

/** The connection streams a migration made and did not remove yet. */
async function migrationStreams(io: IO): Promise<string[]> {
  const jsm = await jetstreamManager((await io.cluster()).connection);
  const names: string[] = [];
  for await (const name of jsm.streams.names()) if (name.includes('migrate-')) names.push(name);
  return names;
}

describeNats('chain.migrate(remoteHost): steps of a running chain move to another machine', () => {
  let server: PrivateServer;
  let script: string;
  let far: HostChild;
  let farIndex: number;
  let here: IO;

  beforeAll(async () => {
    server = await startServer();
    script = bundle('test/cluster/placement-host.ts');
    far = runBundle(script, ['options', server.url, 'migrate_remote', '5000', 'far']);
    farIndex = Number((await far.line('ready ')).split(' ')[1]);
    here = new IO({ cluster: { servers: server.url, bucket: 'migrate_remote', lostAfterMs: 5000, name: 'here' } });
  }, 30_000);
  afterAll(async () => {
    await here?.close();
    await far?.kill9();
    await server?.stop();
    removeBundles();
  });

  it('map, scan, uniq and take migrated at seeded cut points: every result once, in order, as without migrating', async () => {
    const rand = mulberry32(15);
    const xs = range(12_000);
    const limit = 9_000;
    const expected = expectedOf(xs, limit);
    for (let round = 0; round < 4; round++) {
      const cut = 1 + Math.floor(rand() * 3_000);
      const chain = here.from(xs)
        .map((x: number) => Math.floor((x * 7) / 3))
        .scan((a: number, x: number) => (a + x) % 1000, 5)
        // uniq's own comparison (sameValue) is not portable text: the same test by a portable function.
        .pipe<number>(uniq, { same: (a: unknown, b: unknown) => a === b })
        .take(limit);
      const got: number[] = [];
      let labels: readonly string[] = [];
      for await (const x of chain) {
        got.push(x);
        if (got.length === cut) ({ labels } = await chain.migrate(here.remoteHost(farIndex), { chunk: 256 }));
      }
      expect(labels.map((l) => l.replace(/#\d+$/, ''))).toEqual(['map', 'scan', 'uniq', 'take']);
      expect(got.length).toBe(expected.length);
      expect(got).toEqual(expected);
    }
    // Both connections of every migration are removed once their streams ended.
    await expect.poll(() => migrationStreams(here), { timeout: 10_000 }).toEqual([]);
  }, 90_000);

  it('migrate(processes, remoteHost) at seeded chunks, all steps or a run in the middle: the sink gets every record once, in order', async () => {
    const rand = mulberry32(1516);
    for (let round = 0; round < 4; round++) {
      const { source, steps: [doubled, kept, sums], sink, expected } = migrationPipeline(here, 30_000);
      // The source moves 4,096 elements a chunk: cut before one of the first five.
      const cut = Math.floor(rand() * 5);
      const moving = round % 2 === 0 ? [doubled, kept, sums] : [kept];
      let migration: Promise<{ labels: readonly string[] }> | undefined;
      await drive(source, (chunk) => {
        if (chunk === cut) migration = migrate(moving, here.remoteHost(farIndex), { chunk: 512 });
      });
      const { labels } = await migration!;
      await sink.whenEnded('in');
      expect(labels).toHaveLength(moving.length);
      expect(moving.every((p) => !p.inContainer)).toBe(true);
      expect(transportOf(source, 'out')).toBe(round % 2 === 0 ? 'jetstream' : 'local');
      expect(transportOf(sink, 'in')).toBe(round % 2 === 0 ? 'jetstream' : 'local');
      expect(sink.endReason('in')).toEqual({ reason: 'end' });
      const items = sink.state.items as number[];
      expect(items.length).toBe(expected.length);
      expect(items).toEqual(expected);
    }
  }, 90_000);

  it('a definition the far host does not have, a module it cannot find and a wrong version: one refusal; everything moves back and runs on', async () => {
    const { source, doubled, step, sink, expected } = lineTheHostLacks(here, 10_000);
    let refusal: Promise<unknown> | undefined;
    await drive(source, (chunk) => {
      if (chunk === 1) {
        refusal = migrate([doubled, step], here.remoteHost(farIndex), {
          // As a sender with another engine version would say it.
          headers: (h) => ({ ...h, definitions: h.definitions.map((d) => (d.name === 'map' ? { ...d, package: 'pushback-ts@0.0.1' } : d)) }),
        }).catch((e: unknown) => e);
      }
    });
    const e = (await refusal) as MissingDependenciesError;
    expect(e).toBeInstanceOf(MissingDependenciesError);
    expect(e.missing).toEqual([
      "definition 'twice' (from the sender's own code) is not registered on this host",
      expect.stringMatching(/^definition 'map' needs pushback-ts@0\.0\.1, but this host runs pushback-ts@/),
      "module 'no-such-package-xyz' (package no-such-package-xyz@1.0.0) is not installed",
    ]);
    expect(e.message).toContain(`migration of ${doubled.label}, ${step.label} from host ${(await here.cluster()).index} to host ${farIndex}`);
    await sink.whenEnded('in');
    expect([doubled, step].every((p) => p.inContainer)).toBe(true);
    expect(transportOf(sink, 'in')).toBe('local');
    expect(sink.state.items).toEqual(expected);
    await expect.poll(() => migrationStreams(here), { timeout: 10_000 }).toEqual([]);
  }, 30_000);

  it('a host that does not answer (joined by hand, no placement service): the line runs on here, nothing lost or doubled', async () => {
    const bare = await joinCluster({ servers: server.url, bucket: 'migrate_remote', lostAfterMs: 5000, name: 'bare' });
    try {
      const xs = range(20_000);
      const source = new Process(here, from, { xs });
      const sums = new Process(here, scan, { f: (a: number, x: number) => a + x, seed: 0 });
      const sink = new Process(here, collect);
      source.connect('out', sums, 'in');
      sums.connect('out', sink, 'in');
      let refusal: Promise<unknown> | undefined;
      await drive(source, (chunk) => {
        if (chunk === 2) refusal = migrate(sums, here.remoteHost('bare'), { timeoutMs: 500 }).catch((e: unknown) => e);
      });
      const e = await refusal;
      expect(e).toBeInstanceOf(PlacementUnansweredError);
      expect((e as Error).message).toContain(`host ${bare.index}: no placement service answered on pushback.place.migrate_remote.${bare.index}`);
      await sink.whenEnded('in');
      expect(sums.inContainer).toBe(true);
      let acc = 0;
      expect(sink.state.items).toEqual(xs.map((x) => (acc += x)));
      await expect.poll(() => migrationStreams(here), { timeout: 10_000 }).toEqual([]);
    } finally {
      await bare.leave();
    }
  }, 30_000);

  it('a set that is not a line (a zip reads two inputs) is refused before anything moves, naming the processes', async () => {
    const { pairs } = zipLine(here, 10);
    const e = await migrate(pairs, here.remoteHost(farIndex)).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(RangeError);
    expect((e as Error).message).toMatch(/^cannot migrate zip#\d+ to another machine: 2 connection\(s\) come in from processes that stay \(zip#\d+ 'left', zip#\d+ 'right'\); only a line/);
    expect(pairs.inContainer).toBe(true);
    expect(await migrationStreams(here)).toEqual([]);
  }, 30_000);

  it('a function that is not portable: refused before anything moves, naming it and its process; the chain runs on here', async () => {
    const factor = 3;
    const chain = here.from(range(5_000)).map((x: number) => x * factor).filter((x: number) => x % 2 === 0);
    const got: number[] = [];
    let error: unknown;
    for await (const x of chain) {
      got.push(x);
      if (got.length === 100) error = await chain.migrate(here.remoteHost(farIndex)).catch((e: unknown) => e);
    }
    expect(error).toBeInstanceOf(MigrationRefusedError);
    expect((error as Error).message).toMatch(/map#\d+ parameter 'f': a function that is not portable: .*factor/);
    expect(await migrationStreams(here)).toEqual([]);
    expect(got).toEqual(range(5_000).map((x) => x * 3).filter((x) => x % 2 === 0));
  }, 30_000);

  it('a far host that lacks a definition, a version and a module refuses with all three; nothing moved, the chain runs on here', async () => {
    const chain = here.from(range(6_000)).map((x: number) => x + 1).scan((a: number, x: number) => a + x, 0);
    const got: number[] = [];
    let error: unknown;
    for await (const x of chain) {
      got.push(x);
      if (got.length === 1_000) {
        error = await chain.migrate(here.remoteHost(farIndex), {
          // A sender pretending to need more than the far host has.
          headers: (h) => ({
            definitions: [...h.definitions.map((d) => (d.name === 'map' ? { ...d, package: 'pushback-ts@0.0.0-older' } : d)), { name: 'sessionize', package: 'caller' }],
            modules: [{ module: 'no-such-package-for-migration', export: 'f', version: '1.2.3' }],
          }),
        }).catch((e: unknown) => e);
      }
    }
    expect(error).toBeInstanceOf(MissingDependenciesError);
    const { missing, message } = error as MissingDependenciesError;
    expect(message).toMatch(new RegExp(`^migration of map#\\d+, scan#\\d+ from host ${(await here.cluster()).index} to host ${farIndex}`));
    expect(missing).toHaveLength(3);
    expect(missing[0]).toMatch(/^definition 'map' needs pushback-ts@0\.0\.0-older, but this host runs pushback-ts@/);
    expect(missing[1]).toBe(`definition 'sessionize' (from the sender's own code) is not registered on this host`);
    expect(missing[2]).toContain(`module 'no-such-package-for-migration' (package no-such-package-for-migration@1.2.3) is not installed`);
    let acc = 0;
    expect(got).toEqual(range(6_000).map((x) => (acc += x + 1)));
    await expect.poll(() => migrationStreams(here), { timeout: 10_000 }).toEqual([]);
  }, 30_000);
});

describeNats('chain.migrate(remoteHost): the far host killed with -9 after the migration', () => {
  let server: PrivateServer;
  let script: string;
  let here: IO;
  const LOST_AFTER_MS = 1_500;

  beforeAll(async () => {
    server = await startServer();
    script = bundle('test/cluster/placement-host.ts');
    here = new IO({ cluster: { servers: server.url, bucket: 'migrate_kill', lostAfterMs: LOST_AFTER_MS, name: 'here' } });
  }, 30_000);
  afterAll(async () => {
    await here?.close();
    await server?.stop();
    removeBundles();
  });

  it('the consumer gets an exact prefix, then host-lost naming the far host', async () => {
    const far = runBundle(script, ['options', server.url, 'migrate_kill', String(LOST_AFTER_MS), 'far']);
    const farIndex = Number((await far.line('ready ')).split(' ')[1]);
    // About a millisecond per element: after the migration, results come back from the far host for seconds.
    const slow = (x: number): number => {
      const until = Date.now() + 1;
      while (Date.now() < until);
      return x * 2;
    };
    const xs = range(20_000);
    const chain = here.from(xs).map(slow).scan((a: number, x: number) => a + x, 0);
    const seen: number[] = [];
    let migratedAt = -1;
    let error: unknown;
    try {
      for await (const x of chain) {
        seen.push(x);
        if (seen.length === 200) {
          await chain.migrate(here.remoteHost(farIndex), { chunk: 100 });
          migratedAt = seen.length;
        }
        if (seen.length === 1_000) void far.kill9();
      }
    } catch (e) {
      error = e;
    }
    expect(migratedAt).toBe(200);
    expect(error).toBeInstanceOf(HostLostError);
    expect((error as HostLostError).code).toBe('host-lost');
    expect((error as Error).message.startsWith(`host-lost: host ${farIndex} at the other end of connection "migrate-`)).toBe(true);
    let acc = 0;
    const expected = xs.map((x) => (acc += x * 2));
    expect(seen.length).toBeGreaterThanOrEqual(1_000);
    expect(seen.length).toBeLessThan(expected.length);
    expect(seen).toEqual(expected.slice(0, seen.length));
  }, 60_000);
});
