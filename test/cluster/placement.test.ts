// chain.on(host) across OS processes: this test's process is one host (its own
// IO), test/cluster/placement-host.ts started as a separate process is the
// other, both joined to a private nats-server. The far host is joined once
// through PUSHBACK_CLUSTER and once through the cluster option.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { placementServiceOf } from '../../api/cluster.js';
import { IO } from '../../api/io.js';
import { joinCluster } from '../../cluster/membership.js';
import { PlacementUnansweredError } from '../../cluster/placement-messages.js';
import { PlacedHostLostError } from '../../api/remote-section.js';
import { MissingDependenciesError } from '../../transport/modules.js';
import { NotPortableError } from '../../transport/portable.js';
import { bundle, removeBundles, runBundle, type HostChild } from './bundled-child.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const COUNT = 20_000;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describeNats('chain.on(host): placing steps on another machine of the cluster', () => {
  let server: PrivateServer;
  let script: string;
  /** The far host, joined through PUSHBACK_CLUSTER (default bucket). */
  let far: HostChild;
  let farIndex: number;
  /** This host, joined through the cluster option (same default bucket). */
  let here: IO;

  beforeAll(async () => {
    server = await startServer();
    script = bundle('test/cluster/placement-host.ts');
    // The child's environment is this process's, with PUSHBACK_CLUSTER added.
    far = runBundle(script, ['environment'], { PUSHBACK_CLUSTER: server.url });
    farIndex = Number((await far.line('ready ')).split(' ')[1]);
    here = new IO({ cluster: { servers: server.url, name: 'here' } });
  }, 30_000);
  afterAll(async () => {
    await here?.close();
    await far?.kill9();
    await server?.stop();
    removeBundles();
  });

  it('a host joined through PUSHBACK_CLUSTER is listed by io.hosts() and found by io.remoteHost(index)', async () => {
    const me = await here.cluster();
    expect(me.index).not.toBe(farIndex);
    const hosts = await here.hosts();
    expect(hosts.map((h) => h.index)).toEqual([farIndex]);
    expect(hosts[0]!.state).toBe('live');
    const handle = here.remoteHost(farIndex);
    expect(handle.state).toBe('unresolved');
    const { record } = await handle.resolve();
    expect(record.index).toBe(farIndex);
    await expect(here.remoteHost(999).resolve()).rejects.toThrow(/host 999 is not a live host of cluster "pushback_hosts" \(live hosts: \d+/);
  });

  it(`map and filter placed on the far host: ${COUNT} records, every result once, in order`, async () => {
    const placed = here.from(range(COUNT)).on(here.remoteHost(farIndex));
    const results = await placed.map((x: number) => x * 3).filter((x: number) => x % 2 === 0).collect().completion();
    expect(results).toEqual(range(COUNT).map((x) => x * 3).filter((x) => x % 2 === 0));
    // The steps were made on the far host (its labels), none of them here.
    expect(placed.section.labels.map((l) => l.replace(/#\d+$/, ''))).toEqual(['map', 'filter']);
    // Steps after one that cannot run per element run here, over what came back.
    const counted = await here.from(range(1000)).on(here.remoteHost(farIndex)).map((x: number) => x + 1).take(10).map((x: number) => -x).collect().completion();
    expect(counted).toEqual(range(10).map((x) => -(x + 1)));
  }, 30_000);

  it('a consumer slower than the far host: at most `window` results are held here, and every one arrives in order', async () => {
    const seen: number[] = [];
    const chain = here.from(range(3000)).on(here.remoteHost(farIndex), { window: 50, chunk: 64 }).map((x: number) => x + 1);
    for await (const x of chain) {
      seen.push(x as number);
      // The consumer lets the far host run ahead now and then, so the window fills.
      if (seen.length % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toEqual(range(3000).map((x) => x + 1));
  }, 30_000);

  it('a far host that lacks definitions and modules refuses, listing all of them; nothing is placed', async () => {
    const error = await here.from(range(10))
      .on(here.remoteHost(farIndex), {
        // A sender pretending to come from another version and to need more than the host has.
        headers: (h) => ({
          definitions: [...h.definitions.map((d) => (d.name === 'map' ? { ...d, package: 'pushback-ts@0.0.0-older' } : d)), { name: 'sessionize', package: 'caller' }],
          modules: [{ module: 'no-such-package-for-placement', export: 'f', version: '1.2.3' }],
        }),
      })
      .map((x: number) => x + 1)
      .collect()
      .completion()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependenciesError);
    const { missing, message } = error as MissingDependenciesError;
    expect(message).toContain(`placement of map from host ${(await here.cluster()).index} on host ${farIndex}`);
    expect(missing).toHaveLength(3);
    expect(missing[0]).toMatch(/^definition 'map' needs pushback-ts@0\.0\.0-older, but this host runs pushback-ts@/);
    expect(missing[1]).toBe(`definition 'sessionize' (from the sender's own code) is not registered on this host`);
    expect(missing[2]).toContain(`module 'no-such-package-for-placement' (package no-such-package-for-placement@1.2.3) is not installed`);
  }, 30_000);

  it('a function that is not portable is refused when the chain is built, naming the free name, the function and the step', () => {
    const factor = 3;
    const build = (): unknown => here.from(range(10)).on(here.remoteHost(farIndex)).filter((x: number) => x > 0).map((x: number) => x * factor);
    expect(build).toThrow(NotPortableError);
    expect(build).toThrow(/map \(step 2 of on\(host \d+\)\) 'f': the function `\(x\) => x \* factor` is not portable.*factor/);
  });

  it('a host without a placement service (joined by hand) is named with its subject', async () => {
    const bare = await joinCluster({ servers: server.url, name: 'bare' });
    try {
      const error = await here.from(range(10)).on(here.remoteHost('bare')).map((x: number) => x).collect().completion().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlacementUnansweredError);
      expect((error as Error).message).toContain(`host ${bare.index}: no placement service answered on pushback.place.pushback_hosts.${bare.index}`);
    } finally {
      await bare.leave();
    }
  }, 30_000);

  it('a step that throws on the far host fails the run with an error naming the step and the host', async () => {
    const error = await here.from(range(100)).on(here.remoteHost(farIndex))
      .map((x: number) => {
        if (x === 42) throw new RangeError('no 42 here');
        return x;
      })
      .collect()
      .completion()
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain(`map on host ${farIndex}: RangeError: no 42 here`);
  }, 30_000);
});

describeNats('chain.on(host): the far host killed with -9 mid-run', () => {
  let server: PrivateServer;
  let script: string;
  let here: IO;
  const LOST_AFTER_MS = 1_500;

  beforeAll(async () => {
    server = await startServer();
    script = bundle('test/cluster/placement-host.ts');
    here = new IO({ cluster: { servers: server.url, bucket: 'placement_kill', lostAfterMs: LOST_AFTER_MS, name: 'here' } });
  }, 30_000);
  afterAll(async () => {
    await here?.close();
    await server?.stop();
    removeBundles();
  });

  it('fails with host-lost naming the host and the steps; what arrived is an exact prefix', async () => {
    const far = runBundle(script, ['options', server.url, 'placement_kill', String(LOST_AFTER_MS), 'far']);
    const farIndex = Number((await far.line('ready ')).split(' ')[1]);
    const handle = here.remoteHost('far');
    const seen: number[] = [];
    let error: unknown;
    // About a millisecond per element on the far host, a hundred elements per message: results come back for seconds.
    const slow = (x: number): number => {
      const until = Date.now() + 1;
      while (Date.now() < until);
      return x * 2;
    };
    try {
      for await (const x of here.from(range(COUNT)).on(handle, { chunk: 100 }).map(slow).filter((x: number) => x % 3 !== 1)) {
        seen.push(x as number);
        if (seen.length === 300) void far.kill9();
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlacedHostLostError);
    const lost = error as PlacedHostLostError;
    expect(lost.code).toBe('host-lost');
    expect(lost.message).toContain(`host-lost: host ${farIndex} ("far") was lost while running map, filter`);
    expect(handle.lost).toBe(true);
    const expected = range(COUNT).map((x) => x * 2).filter((x) => x % 3 !== 1);
    expect(seen.length).toBeGreaterThanOrEqual(300);
    expect(seen.length).toBeLessThan(expected.length);
    expect(seen).toEqual(expected.slice(0, seen.length));
    expect(lost.arrived).toBe(seen.length);
  }, 30_000);

  it('the asking host killed with -9: the steps placed for it end and stop on this host', async () => {
    const me = await here.cluster();
    const asking = runBundle(script, ['place', server.url, 'placement_kill', String(LOST_AFTER_MS), String(me.index)]);
    expect(await asking.line('arrived ')).toBe('arrived 0');
    const service = (await placementServiceOf(here))!;
    expect(service.active).toBe(1);
    await asking.kill9();
    await expect.poll(() => service.active, { timeout: 3 * LOST_AFTER_MS, interval: 50 }).toBe(0);
  }, 30_000);

  it('io.close() on the far host leaves the cluster at once: the handle says so', async () => {
    const far = runBundle(script, ['options', server.url, 'placement_kill', String(LOST_AFTER_MS), 'leaving']);
    const farIndex = Number((await far.line('ready ')).split(' ')[1]);
    const handle = here.remoteHost(farIndex);
    await handle.resolve();
    expect(handle.lost).toBe(false);
    far.send('leave');
    await far.line('left');
    await expect.poll(() => handle.lost, { timeout: LOST_AFTER_MS - 500 }).toBe(true);
    expect((await here.hosts()).map((h) => h.index)).not.toContain(farIndex);
  }, 30_000);
});
