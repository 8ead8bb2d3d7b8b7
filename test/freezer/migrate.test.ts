// Migration mode: running processes move to a worker thread and go on there
// with their state. Every test counts the records the sink got at the end:
// each exactly once, in order. Also the strict refusals (nothing moves) and
// the dependency check (the host refuses, listing everything it lacks; the
// processes run on where they were).
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostId } from '../../engine/address.js';
import { define, each } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { transportOf } from '../../engine/ports.js';
import { Process } from '../../engine/process.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { IO as UserIO } from '../../api/io.js';
import { map } from '../../processes/elements/map.js';
import { scan } from '../../processes/elements/scan.js';
import { union } from '../../processes/topology/union.js';
import { collect } from '../../processes/sinks/collect.js';
import { output } from '../../processes/sinks/output.js';
import { fileWriter, nodeWriter } from '../../processes/sinks/writers.js';
import { from } from '../../processes/sources/from.js';
import { migrate, MigrationRefusedError } from '../../freezer/migrate.js';
import { byReference } from '../../freezer/references.js';
import { MissingDependenciesError } from '../../transport/modules.js';
import { LinkBrokenError, THREADS } from '../../transport/thread-link.js';
import { WorkerHost } from '../../transport/worker-host.js';
import { buildForWorkers } from '../transport/build.js';
import { drive, migrationPipeline, turn, zipLine, lineTheHostLacks } from '../support/migration-pipeline.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = new URL('../..', import.meta.url).pathname;
let built: { dir: string; remove: () => void };
let host: WorkerHost;

beforeAll(() => {
  built = buildForWorkers(['transport/worker-container.ts']);
  host = new WorkerHost({ script: join(built.dir, 'transport/worker-container.js'), host: hostId(2), window: 16, ringBytes: 4096, root });
}, 180_000);

afterAll(async () => {
  await host?.close();
  built?.remove();
});


describe('migrate: running processes move to a worker thread', () => {
  it('a chain migrated at seeded cut points: the sink gets every record once, in order', async () => {
    const rand = mulberry32(16);
    for (let round = 0; round < 12; round++) {
      const io = new IO({ host: hostId(1), remote: host.route() });
      const { source, steps, sink, expected } = migrationPipeline(io, 40_000);
      // The source moves 4,096 elements a chunk: cut before one of the first nine.
      const cut = Math.floor(rand() * 9);
      // Which steps move: all three, or a run of them in the middle (both ends then cross threads).
      const moving = round % 3 === 0 ? [steps[1]!] : round % 3 === 1 ? steps.slice(0, 2) : steps;
      let migration: Promise<unknown> | undefined;
      await drive(source, (chunk) => {
        if (chunk === cut) migration = migrate(moving, host);
      });
      const migrated = (await migration) as { labels: string[] };
      await sink.whenEnded('in');
      expect(migrated.labels).toHaveLength(moving.length);
      expect(moving.every((p) => !p.inContainer)).toBe(true);
      expect(transportOf(source, 'out')).toBe(round % 3 === 0 ? 'local' : THREADS);
      expect(transportOf(sink, 'in')).toBe(round % 3 === 2 ? THREADS : 'local');
      expect(sink.endReason('in')).toEqual({ reason: 'end' });
      const items = sink.state.items as number[];
      expect(items.length).toBe(expected.length);
      expect(items).toEqual(expected);
    }
  }, 120_000);

  it('chain.migrate moves the steps of a chain read with for await', async () => {
    const io = new UserIO({ host: hostId(1), remote: host.route() });
    const xs = Array.from({ length: 5_000 }, (_, i) => i);
    const chain = io.from(xs).map((x: number) => x + 1).scan((a: number, x: number) => a + x, 0);
    const got: number[] = [];
    let labels: readonly string[] = [];
    for await (const x of chain) {
      got.push(x);
      if (got.length === 1_000) ({ labels } = await chain.migrate(host));
    }
    let acc = 0;
    expect(got).toEqual(xs.map((x) => (acc += x + 1)));
    expect(labels.map((l) => l.replace(/#\d+$/, ''))).toEqual(['map', 'scan']);
  }, 60_000);

  it('a function marked as a module export goes by reference and runs on the host', async () => {
    const io = new IO({ host: hostId(1), remote: host.route() });
    const { halve } = (await import(new URL('./fixtures/halve.mjs', import.meta.url).href)) as { halve: (x: number) => number };
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const source = new Process(io, from, { xs });
    const step = new Process(io, map, { f: byReference(halve, { module: './test/freezer/fixtures/halve.mjs', export: 'halve' }) });
    const sink = new Process(io, collect);
    source.connect('out', step, 'in');
    step.connect('out', sink, 'in');
    let migration: Promise<unknown> | undefined;
    await drive(source, (chunk) => {
      if (chunk === 1) migration = migrate(step, host);
    });
    await migration;
    await sink.whenEnded('in');
    expect(transportOf(sink, 'in')).toBe(THREADS);
    expect(sink.state.items).toEqual(xs.map((x) => x / 2));
  }, 60_000);
});

describe('migrate: processes with several inputs, and a migration asked for inside a flow', () => {
  it('a zip (two inputs, each through its own link) at seeded cut points: every pair once, in order', async () => {
    const rand = mulberry32(61);
    for (let round = 0; round < 4; round++) {
      const io = new IO({ host: hostId(1), remote: host.route() });
      const n = 20_000;
      const { left, right, pairs, sink } = zipLine(io, n, 7);
      const cut = Math.floor(rand() * 4);
      let migration: Promise<unknown> | undefined;
      await Promise.all([
        drive(left, (chunk) => {
          if (chunk === cut) migration = migrate(pairs, host);
        }),
        drive(right),
      ]);
      await migration;
      await sink.whenEnded('in');
      expect(transportOf(left, 'out')).toBe(THREADS);
      expect(sink.state.items).toEqual(Array.from({ length: n }, (_, i) => [i, `r${i}`]));
    }
  }, 60_000);

  it('a union (a range of inputs, in[0] and in[1]): every record once, each input in its order', async () => {
    const io = new IO({ host: hostId(1), remote: host.route() });
    const a = new Process(io, from, { xs: Array.from({ length: 15_000 }, (_, i) => `a${i}`) });
    const b = new Process(io, from, { xs: Array.from({ length: 12_000 }, (_, i) => `b${i}`) });
    const both = new Process(io, union);
    const sink = new Process(io, collect);
    a.connect('out', both, 'in[0]');
    b.connect('out', both, 'in[1]');
    both.connect('out', sink, 'in');
    let migration: Promise<unknown> | undefined;
    await Promise.all([
      drive(a, (chunk) => {
        if (chunk === 1) migration = migrate(both, host);
      }),
      drive(b),
    ]);
    await migration;
    await sink.whenEnded('in');
    expect(transportOf(b, 'out')).toBe(THREADS);
    const items = sink.state.items as string[];
    expect(items.length).toBe(27_000);
    expect(items.filter((x) => x.startsWith('a'))).toEqual(Array.from({ length: 15_000 }, (_, i) => `a${i}`));
    expect(items.filter((x) => x.startsWith('b'))).toEqual(Array.from({ length: 12_000 }, (_, i) => `b${i}`));
  }, 60_000);

  it('asked for inside a flow (from a map\'s function), it starts once that flow committed', async () => {
    const rand = mulberry32(7);
    for (let round = 0; round < 4; round++) {
      const io = new UserIO({ host: hostId(1), remote: host.route() });
      const xs = Array.from({ length: 8_000 }, (_, i) => i);
      const cut = Math.floor(rand() * 6_000);
      let moving: Promise<unknown> | undefined;
      const stepped = io.from(xs).map((x: number) => {
        // This map stays (its function is a closure); the scan after it moves.
        if (x === cut) moving = migrate(sums.tail, host);
        return x * 3;
      });
      const sums = stepped.scan((a: number, x: number) => (a + x) % 65521, 1);
      const got: number[] = [];
      for await (const s of sums) got.push(s);
      expect(((await moving) as { labels: string[] }).labels).toEqual([expect.stringMatching(/^scan#\d+$/)]);
      let acc = 1;
      expect(got).toEqual(xs.map((x) => (acc = (acc + x * 3) % 65521)));
    }
  }, 60_000);
});

describe('migrate: refused by the host while the chain waits for its reader', () => {
  it('asked for inside a flow, refused: the connections move back and the waiting source goes on', async () => {
    const io = new UserIO({ host: hostId(1), remote: host.route() });
    // One out for one in: the reader here (for await) admits a bounded number, which a step that emits more than it takes would overrun.
    const plusOne = define('plusOne', { ports: ['in', 'out'], inputs: ['in'] }).flow('>in', each('emit(x + 1)', 'out>', { oneToOne: true }));
    const xs = Array.from({ length: 6_000 }, (_, i) => i);
    let refusal: Promise<unknown> | undefined;
    const doubled = io.from(xs).map((x: number) => {
      if (x === 100) refusal = migrate(doubled.tail, host).catch((e: unknown) => e);
      return x;
    }).pipe<number>(plusOne);
    const got: number[] = [];
    for await (const x of doubled) got.push(x);
    expect(await refusal).toBeInstanceOf(MissingDependenciesError);
    expect(got).toEqual(xs.map((x) => x + 1));
  }, 60_000);
});

describe('migrate: a host lost after it adopted', () => {
  it('a worker terminated mid-stream: the sink has a prefix of the stream, each record once, and ends with the host-lost error', async () => {
    const lost = new WorkerHost({ script: join(built.dir, 'transport/worker-container.js'), host: hostId(3), window: 16, ringBytes: 4096 });
    const io = new IO({ host: hostId(1), remote: lost.route() });
    const { source, steps, sink, expected } = migrationPipeline(io, 40_000);
    let migration: Promise<unknown> | undefined;
    void drive(source, (chunk) => {
      if (chunk === 1) migration = migrate(steps, lost);
    });
    while (migration === undefined) await turn();
    await migration;
    const before = (sink.state.items as number[]).length;
    // Records arrive from the worker now: terminate it once some have.
    while ((sink.state.items as number[]).length < before + 100) await turn();
    await lost.worker.terminate();
    await sink.whenEnded('in');
    const items = sink.state.items as number[];
    expect(items.length).toBeGreaterThanOrEqual(before + 100);
    expect(items.length).toBeLessThan(expected.length);
    expect(items).toEqual(expected.slice(0, items.length));
    const why = sink.endReason('in');
    expect(why?.reason).toBe('error');
    expect(String((why as { error?: Error }).error?.message)).toMatch(/^host lost: host 3 \(worker thread \d+\) exited with code 1/);
    expect(source.isEnded('out')).toBe(true);
    // A host already lost is refused before anything moves.
    const io2 = new IO({ host: hostId(1) });
    const again = migrationPipeline(io2, 100);
    const e = await migrate(again.steps, lost).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(LinkBrokenError);
    expect((e as Error).message).toMatch(/^cannot migrate to host 3: host lost: host 3/);
    expect(again.steps.every((p) => p.inContainer && transportOf(p, 'out') === 'local')).toBe(true);
  }, 60_000);
});

describe('migrate: a host lost while it adopts', () => {
  it('the worker terminated as the migration is sent: the links break, the sink has a prefix, each record once, and ends with the error', async () => {
    const lost = new WorkerHost({ script: join(built.dir, 'transport/worker-container.js'), host: hostId(4), window: 16, ringBytes: 4096 });
    const io = new IO({ host: hostId(1), remote: lost.route() });
    const { source, steps, sink, expected } = migrationPipeline(io, 40_000);
    let migration: Promise<unknown> | undefined;
    let terminated: Promise<number> | undefined;
    void drive(source, (chunk) => {
      if (chunk !== 1) return;
      migration = migrate(steps, lost).catch((e: unknown) => e);
      terminated = lost.worker.terminate();
    });
    while (terminated === undefined) await turn();
    await terminated;
    const outcome = await migration;
    // Whether the host adopted before it died or not, the stream breaks the same way.
    if (!(outcome instanceof LinkBrokenError)) expect(outcome).toMatchObject({ labels: expect.any(Array) });
    await sink.whenEnded('in');
    const items = sink.state.items as number[];
    expect(items.length).toBeLessThan(expected.length);
    expect(items).toEqual(expected.slice(0, items.length));
    const why = sink.endReason('in');
    expect(why?.reason).toBe('error');
    expect(String((why as { error?: Error }).error?.message)).toMatch(/host lost: host 4/);
    expect(steps.every((p) => !p.inContainer)).toBe(true);
  }, 60_000);
});

describe('migrate: strict refusals, before anything moves', () => {
  it('a function that is not portable: refused, naming it and its process; the chain runs on here', async () => {
    const io = new IO({ host: hostId(1), remote: host.route() });
    const k = 5;
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const source = new Process(io, from, { xs });
    const step = new Process(io, map, { f: (x: number) => x + k });
    const sink = new Process(io, collect);
    source.connect('out', step, 'in');
    step.connect('out', sink, 'in');
    let refusal: Promise<unknown> | undefined;
    await drive(source, (chunk) => {
      if (chunk === 1) refusal = migrate(step, host).catch((e: unknown) => e);
    });
    const e = (await refusal) as MigrationRefusedError;
    expect(e).toBeInstanceOf(MigrationRefusedError);
    expect(e.problems).toEqual([expect.objectContaining({ process: step.label, resource: "parameter 'f'" })]);
    expect(e.message).toContain(`${step.label} parameter 'f': a function that is not portable`);
    expect(e.message).toContain('`k`');
    await sink.whenEnded('in');
    expect(step.inContainer).toBe(true);
    expect(transportOf(sink, 'in')).toBe('local');
    expect(sink.state.items).toEqual(xs.map((x) => x + k));
  });

  it('an open file and a socket: every resource named with its process, at once', async () => {
    const io = new IO({ host: hostId(1), remote: host.route() });
    const file = join(mkdtempSync(join(tmpdir(), 'migrate-')), 'out.txt');
    const toFile = new Process(io, output, { writer: fileWriter(file), highWater: 4 });
    const socket = new Socket();
    const toSocket = new Process(io, output, { writer: nodeWriter(socket, { name: 'a socket' }), highWater: 4 });
    const holder = new Process(io, map, { f: (x: number) => x });
    const source = new Process(io, from, { xs: ['a'] });
    source.connect('out', holder, 'in');
    let e: unknown;
    try {
      await migrate([toFile, toSocket, source], host);
    } catch (error) {
      e = error;
    }
    expect(e).toBeInstanceOf(MigrationRefusedError);
    const problems = (e as MigrationRefusedError).problems;
    const named = (process: Process, resource: string) => problems.find((p) => p.process === process.label && p.resource === resource)?.why;
    expect(named(toFile, "parameter 'writer'")).toContain(`an open file writer (${file})`);
    expect(named(toSocket, "parameter 'writer'")).toContain('a writer to a socket');
    expect(named(source, 'itself')).toContain('it is a source');
    // An output's state holds the callback that finishes its run: a local function too.
    expect(named(toFile, "state field 'finish'")).toContain('cannot be sent');
    expect([toFile, toSocket, source].every((p) => p.inContainer)).toBe(true);
    expect(transportOf(source, 'out')).toBe('local');
    socket.destroy();
  });

  it('a parameter the codec cannot carry (a local object) is refused by name', async () => {
    const io = new IO({ host: hostId(1), remote: host.route() });
    const step = new Process(io, scan, { f: (a: number, x: number) => a + x, seed: new (class Handle {})() });
    const e = await migrate(step, host).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(MigrationRefusedError);
    expect((e as Error).message).toContain(`${step.label} parameter 'seed': an instance of Handle`);
    expect((e as Error).message).toContain(`${step.label} state field 'acc': an instance of Handle`);
  });
});

describe('the dependency check: the host refuses what it lacks, listing all of it', () => {
  it('a definition it does not have, a wrong version and a missing module: one refusal; everything moves back and runs on', async () => {
    const io = new IO({ host: hostId(1), remote: host.route() });
    const { source, doubled, step, sink, expected } = lineTheHostLacks(io, 10_000);
    let refusal: Promise<unknown> | undefined;
    await drive(source, (chunk) => {
      if (chunk === 1) {
        refusal = migrate([doubled, step], host, {
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
    expect(e.message).toContain(`migration of ${doubled.label}, ${step.label} to host 2`);
    await sink.whenEnded('in');
    expect([doubled, step].every((p) => p.inContainer)).toBe(true);
    expect(transportOf(sink, 'in')).toBe('local');
    expect(sink.state.items).toEqual(expected);
  });
});
