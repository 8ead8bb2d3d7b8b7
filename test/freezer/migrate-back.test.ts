// Migration back and on: running processes come home from a worker thread, or
// go from one worker to another, with nothing lost or duplicated. Every test
// counts the records the sink got: each exactly once, in order. Also a host
// lost while it gives processes back (an exact prefix, then its error), and a
// release the host refuses (nothing moves, everything runs on there).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostId } from '../../engine/address.js';
import { IO } from '../../engine/io.js';
import { transportOf } from '../../engine/ports.js';
import { Process } from '../../engine/process.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { IO as UserIO } from '../../api/io.js';
import { map } from '../../processes/elements/map.js';
import { scan } from '../../processes/elements/scan.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { migrate, MigrationRefusedError, whereIs } from '../../freezer/migrate.js';
import { LinkBrokenError } from '../../transport/thread-link.js';
import { WorkerHost } from '../../transport/worker-host.js';
import { drive as driveSource, migrationPipeline, turn, zipLine } from '../support/migration-pipeline.js';
import { buildForWorkers } from '../transport/build.js';

const root = new URL('../..', import.meta.url).pathname;
let built: { dir: string; remove: () => void };
let hostA: WorkerHost;
let hostB: WorkerHost;
const workerScript = (): string => join(built.dir, 'transport/worker-container.js');

beforeAll(() => {
  built = buildForWorkers(['transport/worker-container.ts']);
  hostA = new WorkerHost({ script: workerScript(), host: hostId(2), window: 16, ringBytes: 4096, root });
  hostB = new WorkerHost({ script: workerScript(), host: hostId(5), window: 16, ringBytes: 4096, root });
}, 180_000);

afterAll(async () => {
  await hostA?.close();
  await hostB?.close();
  built?.remove();
});

/** Drives a source; a blocked one looks again after 5 ms (a zip here). */
const drive = (source: Process, at?: (chunk: number) => void): Promise<void> => driveSource(source, at, 5);

const io1 = (): IO => new IO({ host: hostId(1), remote: (address) => hostA.route()(address) ?? hostB.route()(address) });

describe('migrate back and between workers', () => {
  it('main -> A -> B -> main at seeded cut points: the sink gets every record once, in order', async () => {
    const rand = mulberry32(1616);
    for (let round = 0; round < 10; round++) {
      const io = io1();
      const { source, steps, sink, expected } = migrationPipeline(io, 40_000);
      // The source moves 4,096 elements a chunk (about ten chunks): three cuts in order.
      const toA = Math.floor(rand() * 3);
      const toB = toA + 1 + Math.floor(rand() * 3);
      const home = toB + 1 + Math.floor(rand() * 3);
      // Which steps move: all three, or a run of them (then both ends cross threads).
      const moving = round % 3 === 0 ? [steps[1]!] : round % 3 === 1 ? steps.slice(0, 2) : steps;
      let moves: Promise<unknown> = Promise.resolve();
      const seen: string[] = [];
      const where = (): string => {
        const w = whereIs(moving[0]!);
        return 'here' in w ? 'here' : `host ${w.host === hostA ? 'A' : 'B'}`;
      };
      await drive(source, (chunk) => {
        if (chunk === toA) moves = moves.then(() => migrate(moving, hostA)).then(() => seen.push(where()));
        if (chunk === toB) moves = moves.then(() => migrate(moving, hostB)).then(() => seen.push(where()));
        if (chunk === home) moves = moves.then(() => migrate(moving, io.host)).then(() => seen.push(where()));
      });
      await moves;
      await sink.whenEnded('in');
      expect(seen).toEqual(['host A', 'host B', 'here']);
      expect(sink.endReason('in')).toEqual({ reason: 'end' });
      const items = sink.state.items as number[];
      expect(items.length).toBe(expected.length);
      expect(items).toEqual(expected);
      // Home: the processes that stand for the moved ones are connected locally again.
      const back = moving.map((p) => (whereIs(p) as { here: Process }).here);
      expect(back.every((p) => p.inContainer || p.isEnded('out'))).toBe(true);
    }
  }, 180_000);

  it('the state goes both ways: a scan moved back and forth many times keeps its running sum', async () => {
    const io = io1();
    const { source, steps, sink, expected } = migrationPipeline(io, 40_000);
    let moves: Promise<unknown> = Promise.resolve();
    const targets = [hostA, io.host, hostB, hostA, io.host, hostB, io.host] as const;
    await drive(source, (chunk) => {
      const target = targets[chunk];
      if (target !== undefined) moves = moves.then(() => migrate(steps, target));
    });
    await moves;
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual(expected);
    expect('here' in whereIs(steps[2]!)).toBe(true);
  }, 120_000);

  it('a zip comes back with what its readers held: every pair once, in order', async () => {
    const rand = mulberry32(33);
    for (let round = 0; round < 4; round++) {
      const io = io1();
      const n = 20_000;
      const { left, right, pairs, sink } = zipLine(io, n, 7);
      const there = Math.floor(rand() * 2);
      const back = there + 1 + Math.floor(rand() * 2);
      let moves: Promise<unknown> = Promise.resolve();
      await Promise.all([
        drive(left, (chunk) => {
          if (chunk === there) moves = moves.then(() => migrate(pairs, round % 2 === 0 ? hostA : hostB));
          if (chunk === back) moves = moves.then(() => migrate(pairs, io.host));
        }),
        drive(right),
      ]);
      await moves;
      await sink.whenEnded('in');
      expect(transportOf(sink, 'in')).toBe('local');
      expect(sink.state.items).toEqual(Array.from({ length: n }, (_, i) => [i, `r${i}`]));
    }
  }, 120_000);

  it('a zip full on one side comes back: what its reader on the host held is delivered first, once', async () => {
    const io = io1();
    const n = 5_000;
    const { left, right, pairs, sink } = zipLine(io, n);
    await migrate(pairs, hostA);
    // Only the left side runs: the zip takes its bound (64), the reader on the
    // host holds what its window (16) let through after that, and nothing moves on.
    while ((left.state.pos as number) < 80) {
      pumpOnce(left);
      await turn();
    }
    for (let i = 0; i < 20; i++) await turn();
    expect(left.state.pos).toBe(80);
    await migrate(pairs, io.host);
    await Promise.all([drive(left), drive(right)]);
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual(Array.from({ length: n }, (_, i) => [i, `r${i}`]));
  }, 60_000);

  it('chain.migrate(io.host) and chain.migrate(otherWorker), read with for await', async () => {
    const io = new UserIO({ host: hostId(1), remote: hostA.route() });
    const xs = Array.from({ length: 6_000 }, (_, i) => i);
    const chain = io.from(xs).map((x: number) => x + 1).scan((a: number, x: number) => a + x, 0);
    const got: number[] = [];
    const labels: string[][] = [];
    for await (const x of chain) {
      got.push(x);
      if (got.length === 1_000) labels.push([...(await chain.migrate(hostA)).labels]);
      if (got.length === 2_000) labels.push([...(await chain.migrate(hostB)).labels]);
      if (got.length === 3_000) labels.push([...(await chain.migrate(io.host)).labels]);
      if (got.length === 4_000) labels.push([...(await chain.migrate(hostA)).labels]);
    }
    let acc = 0;
    expect(got).toEqual(xs.map((x) => (acc += x + 1)));
    expect(labels.map((ls) => ls.map((l) => l.replace(/#\d+$/, '')))).toEqual([['map', 'scan'], ['map', 'scan'], ['map', 'scan'], ['map', 'scan']]);
  }, 60_000);

  it('asked to go where they are, nothing moves; a group comes back whole or not at all', async () => {
    const io = io1();
    const { source, steps, sink, expected } = migrationPipeline(io, 20_000);
    let checks: Promise<unknown> | undefined;
    await drive(source, (chunk) => {
      if (chunk !== 1) return;
      checks = (async () => {
        await migrate(steps, hostA);
        expect((await migrate(steps, hostA)).stateBytes).toBe(0);
        const e = await migrate(steps[0]!, io.host).catch((error: unknown) => error);
        expect(e).toBeInstanceOf(RangeError);
        expect((e as Error).message).toMatch(/went to host 2 together and come back together; grep#\d+, scan#\d+ not listed/);
        const wrong = await migrate(steps, hostId(9)).catch((error: unknown) => error);
        expect((wrong as Error).message).toMatch(/host 9 is not this thread's container \(host 1\) nor a worker host/);
        expect(steps.every((p) => 'host' in whereIs(p))).toBe(true);
      })();
    });
    await checks;
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual(expected);
  }, 60_000);
});

describe('migrate back: refused by the host, or the host lost', () => {
  it('a state value that cannot be carried is refused by name; nothing moves and the stream goes on there', async () => {
    const io = io1();
    const xs = Array.from({ length: 20_000 }, (_, i) => i);
    const source = new Process(io, from, { xs });
    // The running state holds a function (made on the host, portable source): it cannot go back.
    const boxed = new Process(io, scan, { f: (a: { n: number }, x: number) => ({ n: a.n + x, later: () => 0 }), seed: { n: 0 } });
    const unboxed = new Process(io, map, { f: (b: { n: number }) => b.n });
    const sink = new Process(io, collect);
    source.connect('out', boxed, 'in');
    boxed.connect('out', unboxed, 'in');
    unboxed.connect('out', sink, 'in');
    let refusal: Promise<unknown> | undefined;
    await drive(source, (chunk) => {
      if (chunk === 0) refusal = migrate([boxed, unboxed], hostA).then(async () => {
        while ((sink.state.items as number[]).length < 100) await turn();
        return migrate([boxed, unboxed], io.host).catch((e: unknown) => e);
      });
    });
    const e = (await refusal) as MigrationRefusedError;
    expect(e).toBeInstanceOf(MigrationRefusedError);
    expect(e.problems).toEqual([expect.objectContaining({ process: expect.stringMatching(/^scan#\d+ on host 2$/), resource: "state field 'acc'" })]);
    expect(e.message).toContain("state field 'acc': a value that cannot be sent");
    expect('host' in whereIs(boxed) && 'host' in whereIs(unboxed)).toBe(true);
    await sink.whenEnded('in');
    let acc = 0;
    expect(sink.state.items).toEqual(xs.map((x) => (acc += x)));
  }, 60_000);

  it('a worker terminated while it gives processes back: the sink has an exact prefix and ends with the host-lost error', async () => {
    const rand = mulberry32(404);
    for (let round = 0; round < 3; round++) {
      const lost = new WorkerHost({ script: workerScript(), host: hostId(6 + round), window: 16, ringBytes: 4096 });
      const io = new IO({ host: hostId(1), remote: lost.route() });
      const { source, steps, sink, expected } = migrationPipeline(io, 40_000);
      let moves: Promise<unknown> | undefined;
      let terminated: Promise<number> | undefined;
      const cut = 2 + Math.floor(rand() * 3);
      void drive(source, (chunk) => {
        if (chunk === 1) moves = migrate(steps, lost);
        if (chunk === cut) {
          moves = moves!.then(() => {
            const back = migrate(steps, io.host).catch((e: unknown) => e);
            terminated = lost.worker.terminate();
            return back;
          });
        }
      });
      while (terminated === undefined) await turn();
      await terminated;
      const outcome = await moves;
      await sink.whenEnded('in');
      const items = sink.state.items as number[];
      expect(items).toEqual(expected.slice(0, items.length));
      if (outcome instanceof Error) {
        // Lost before it gave them back: the links broke, as for any lost host.
        expect(outcome).toBeInstanceOf(LinkBrokenError);
        expect(outcome.message).toMatch(new RegExp(`host lost: host ${6 + round} \\(worker thread \\d+\\)`));
        expect(items.length).toBeLessThan(expected.length);
        const why = sink.endReason('in');
        expect(why?.reason).toBe('error');
        expect(String((why as { error?: Error }).error?.message)).toMatch(new RegExp(`host lost: host ${6 + round}`));
        expect(source.isEnded('out')).toBe(true);
      } else {
        // It gave them back before it died: the stream went on here, whole.
        expect(items.length).toBe(expected.length);
        expect(sink.endReason('in')).toEqual({ reason: 'end' });
      }
    }
  }, 120_000);

  it('from a host already lost: refused before anything is touched, naming the host', async () => {
    const lost = new WorkerHost({ script: workerScript(), host: hostId(12), window: 16, ringBytes: 4096 });
    const io = new IO({ host: hostId(1), remote: lost.route() });
    const { source, steps, sink } = migrationPipeline(io, 20_000);
    let moved: Promise<unknown> | undefined;
    void drive(source, (chunk) => {
      if (chunk === 1) moved = migrate(steps, lost);
    });
    while (moved === undefined) await turn();
    await moved;
    await lost.worker.terminate();
    await sink.whenEnded('in');
    const e = await migrate(steps, io.host).catch((error: unknown) => error);
    expect(e).toBeInstanceOf(LinkBrokenError);
    expect((e as Error).message).toMatch(/^cannot migrate back from host 12: host lost: host 12/);
  }, 60_000);
});

