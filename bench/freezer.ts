// Freezer benchmark: snapshot and restore of 10,000 processes with small
// state (2,500 chains of from -> take -> scan -> collect, each moved a little),
// per process in microseconds and bytes, against `v8.serialize` (and
// `v8.deserialize`) of the same states: the floor, since the snapshot's body is
// that serializer's encoding plus what a state does not say (definitions,
// params, ports, end-of-stream state, notes).
//
//   snapshot   io.snapshot's work without the file: quiesce, freeze, encode
//   write      io.snapshot(file): the same plus writing the file
//   restore    IO.restore(file): read, check, rebuild, reconnect, resume
//
// Each round measures everything once; the table shows medians and the
// median of the per-round ratios to the floor. The machine may be shared:
// read the ratios, not the absolute times.
//
// Then migration between two threads (the main thread and a worker host):
//
//   pause      what a running chain (from -> map -> scan -> each, 20,000
//              numbers) sees when its map and scan move to the worker: from
//              the call to migrate (the stream stops there) to the first
//              record that reaches the sink after it
//   state      moving the same two processes' state alone: freeze and encode
//              them, send them, thaw them on the worker (no links made), reply
//
// p50 and p99 of many migrations, and the median of the per-migration ratios.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { IO } from '../api/io.js';
import { Process } from '../engine/process.js';
import { Flowable } from '../engine/flowable.js';
import { from } from '../processes/sources/from.js';
import { take } from '../processes/elements/take.js';
import { scan } from '../processes/elements/scan.js';
import { collect } from '../processes/sinks/collect.js';
import { snapshotBytes } from '../freezer/snapshot.js';
import { adoptRequest, freezeForMigration, migrate } from '../freezer/migrate.js';
import { hostId } from '../engine/address.js';
import { map } from '../processes/elements/map.js';
import { each } from '../processes/sinks/each.js';
import { pumpOnce } from '../processes/sources/from.js';
import { WorkerHost } from '../transport/worker-host.js';
import { markdownTable, median } from './table.js';

const ROUNDS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 7);
const CHAINS = 2_500;
const PROCESSES = CHAINS * 4;

function build(): IO {
  const io = new IO();
  for (let i = 0; i < CHAINS; i++) {
    const s = new Process(io, from, { xs: [i, i + 1, i + 2, i + 3, i + 4, i + 5] });
    const t = new Process(io, take, { limit: 5 });
    const c = new Process(io, scan, { f: (a: number, x: number) => a + x, seed: 0 });
    const k = new Process(io, collect);
    s.connect('out', t, 'in');
    t.connect('out', c, 'in');
    c.connect('out', k, 'in');
    io.pin(k);
    // A little moved: every process has state of its own.
    const got = s.admittance('<out', Flowable.read([], 2));
    s.flow('<out', got);
    t.flow('>in', t.admittance('>in', Flowable.write(got.xs as number[], 0, 2)));
  }
  return io;
}

function states(io: IO): unknown[] {
  return [...io.processes()].map((p) => p.state);
}

const time = async (f: () => unknown): Promise<number> => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1000;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pushback-bench-freezer-'));
  const file = join(dir, 'bench.snap');
  const io = build();
  if (io.count !== PROCESSES) throw new Error(`built ${io.count} processes, expected ${PROCESSES}`);
  const rows = { snapshot: [] as number[], write: [] as number[], restore: [] as number[], floorSer: [] as number[], floorDe: [] as number[] };
  const ratios = { snapshot: [] as number[], write: [] as number[], restore: [] as number[] };
  let snapshotSize = 0;
  let floorSize = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let floor: Buffer = Buffer.alloc(0);
    const floorSer = await time(() => (floor = serialize(states(io))));
    const floorDe = await time(() => deserialize(floor));
    floorSize = floor.length;
    let bytes: Uint8Array = new Uint8Array(0);
    const snap = await time(async () => (bytes = (await snapshotBytes(io)).bytes));
    snapshotSize = bytes.length;
    const write = await time(() => io.snapshot(file));
    let restoredCount = 0;
    const restore = await time(async () => (restoredCount = (await IO.restore(file)).processes.size));
    if (restoredCount !== PROCESSES) throw new Error(`restored ${restoredCount} processes`);
    rows.snapshot.push(snap);
    rows.write.push(write);
    rows.restore.push(restore);
    rows.floorSer.push(floorSer);
    rows.floorDe.push(floorDe);
    ratios.snapshot.push(snap / floorSer);
    ratios.write.push(write / floorSer);
    ratios.restore.push(restore / floorDe);
  }
  rmSync(dir, { recursive: true, force: true });
  const per = (us: number): string => (us / PROCESSES).toFixed(2);
  console.log(`Freezer: ${PROCESSES.toLocaleString('en')} processes (${CHAINS.toLocaleString('en')} chains of from -> take -> scan -> collect), ${ROUNDS} rounds, Node ${process.version}`);
  console.log('Times are medians per process; ratios are medians of per-round ratios to the floor (lower is closer).\n');
  console.log(markdownTable(['what', 'µs per process', 'bytes per process', 'ratio to floor'], [
    ['v8.serialize of the states (floor)', per(median(rows.floorSer)), (floorSize / PROCESSES).toFixed(1), '1'],
    ['v8.deserialize of the states (floor)', per(median(rows.floorDe)), '', '1'],
    ['snapshot (to bytes)', per(median(rows.snapshot)), (snapshotSize / PROCESSES).toFixed(1), `${median(ratios.snapshot).toFixed(1)}× serialize`],
    ['snapshot to a file', per(median(rows.write)), '', `${median(ratios.write).toFixed(1)}× serialize`],
    ['restore from the file', per(median(rows.restore)), '', `${median(ratios.restore).toFixed(1)}× deserialize`],
  ]));
}

const MIGRATIONS = Number(process.env.PUSHBACK_BENCH_MIGRATIONS ?? 60);

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const now = (): number => Number(process.hrtime.bigint()) / 1000;

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function migration(): Promise<void> {
  const host = new WorkerHost({ script: new URL('../transport/worker-container.js', import.meta.url), host: hostId(2) });
  const pauses: number[] = [];
  const alone: number[] = [];
  const ratios: number[] = [];
  let stateBytes = 0;
  try {
    for (let i = 0; i < MIGRATIONS + 3; i++) {
      const io = new IO({ host: hostId(1), remote: host.route() });
      const xs = Array.from({ length: 20_000 }, (_, k) => k);
      let received = 0;
      let waitingSince = -1;
      let pause = 0;
      const source = new Process(io, from, { xs });
      const step = new Process(io, map, { f: (x: number) => x + 1 });
      const sums = new Process(io, scan, { f: (a: number, x: number) => a + x, seed: 0 });
      const sink = new Process(io, each, {
        f: () => {
          received++;
          if (waitingSince >= 0) {
            pause = now() - waitingSince;
            waitingSince = -1;
          }
        },
      });
      source.connect('out', step, 'in');
      step.connect('out', sums, 'in');
      sums.connect('out', sink, 'in');
      // The state alone: the same processes frozen, sent and thawed, nothing connected.
      const t = now();
      const frozen = freezeForMigration([step, sums]);
      await host.ask((request) => ({ ...adoptRequest(request, frozen, [], host.window), links: [] }));
      const stateAlone = now() - t;
      stateBytes = frozen.stateBytes;
      let moving: Promise<unknown> | undefined;
      for (let chunk = 0; ; chunk++) {
        if (chunk === 2) {
          waitingSince = now();
          moving = migrate([step, sums], host);
        }
        await turn();
        const r = pumpOnce(source);
        if (r === 'done' || r === 'cancelled') break;
        if (r === 'blocked') await source.whenWritableAgain('out');
      }
      await moving;
      await sink.whenEnded('in');
      if (received !== xs.length) throw new Error(`migration ${i}: the sink got ${received} of ${xs.length} records`);
      // The first migrations warm the worker's compiler up: not counted.
      if (i < 3) continue;
      pauses.push(pause);
      alone.push(stateAlone);
      ratios.push(pause / stateAlone);
    }
  } finally {
    await host.close();
  }
  const us = (x: number): string => x.toFixed(0);
  console.log(`\nMigration of a running chain's map and scan between two threads (main -> worker), ${MIGRATIONS} migrations, ${stateBytes} bytes of state\n`);
  console.log(markdownTable(['what', 'p50 µs', 'p99 µs', 'ratio to the state alone (median)'], [
    ['pause the running chain sees', us(percentile(pauses, 50)), us(percentile(pauses, 99)), `${median(ratios).toFixed(1)}×`],
    ['moving the state alone (freeze, send, thaw, reply)', us(percentile(alone, 50)), us(percentile(alone, 99)), '1'],
  ]));
}

await main();
await migration();
