// Cross-thread throughput: the shared-memory ring (transport/) against
// `postMessage` of the same chunks, from the main thread to one worker.
//
//   numbers   Float64Array chunks of 4,096 (a typed run: copied into the ring
//             and out again, no per-element encoding); bar: 200 M numbers/s
//   bytes     Uint8Array chunks of 64 KiB; bar: 2 GB/s
//
// The main thread writes (waiting for credit with Atomics.waitAsync, as the
// engine's main thread will); the worker reads with blocking waits and
// touches every chunk (its first and last element) so that nothing is
// optimised away. postMessage clones each chunk the same way, and its worker
// does the same work; it has no backpressure, so the main thread posts
// everything and the clock stops when the worker reports the last chunk.
//
// Each round measures both transports on both loads in turn (the order
// alternates between rounds); the table shows median rates and the median of
// the per-round ratios ring / postMessage.
//
// Then a CPU-bound chain: a pure map costing about 1–2 µs per element over
// 1,000,000 numbers, `parallel(2)` against the same chain fused on one thread,
// with the outputs collected (they all cross back) and summed (a partial sum
// per chunk crosses back). Bar: 1.8× (two cores; the ceiling is 2×). Beside
// them, the machine's own ceiling at that moment: the same function over the
// two halves of the range on two bare worker threads (no engine, no data
// crossing), against one thread.
//
// Wall times on a machine shared with other work say little; CPU time says
// more. Each run's CPU time (all of the process's threads: this one, the
// workers, V8's helpers) is measured beside its wall time, and the table
// shows how much CPU parallel(2) spends for the work one thread does: with
// one thread's CPU against parallel(2)'s, 2 × that ratio is the speed-up two
// otherwise idle cores could give at most.
//
//   npm run bench:workers
//   PUSHBACK_BENCH_RUNS=9 PUSHBACK_BENCH_MB=512 npm run bench:workers
//   PUSHBACK_BENCH_PARTS=cpu npm run bench:workers     (ring, cpu, or both: ring,cpu)
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createRing } from '../transport/ring-layout.js';
import { RingReader } from '../transport/ring-reader.js';
import { RingWriter } from '../transport/ring-writer.js';
import { IO } from '../api/io.js';
import { markdownTable, median } from './table.js';

const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 7);
const MB = Number(process.env.PUSHBACK_BENCH_MB ?? 256);
const RING_BYTES = 1 << 20;
const NUMBERS_PER_CHUNK = 4096;
const BYTES_PER_CHUNK = 64 * 1024;
const PARTS = (process.env.PUSHBACK_BENCH_PARTS ?? 'ring,cpu').split(',');
const CPU_ELEMENTS = 1_000_000;

type Load = 'numbers' | 'bytes';
type Transport = 'ring' | 'postMessage';

interface Job {
  transport: Transport | 'cpu';
  ring?: SharedArrayBuffer;
}

interface Done {
  chunks: number;
  units: number;
  touch: number;
}

// ---------------------------------------------------------------- the worker

function work(job: Job): void {
  if (job.transport === 'cpu') {
    // A bare thread for the CPU-bound reference: sums costly(i) over the ranges it is sent.
    parentPort!.on('message', ({ from, to }: { from: number; to: number }) => {
      let s = 0;
      for (let i = from; i < to; i++) s = (s + costly(i)) | 0;
      parentPort!.postMessage(s);
    });
    return;
  }
  let chunks = 0;
  let units = 0;
  let touch = 0;
  if (job.transport === 'ring') {
    const reader = new RingReader(job.ring!, { name: 'bench ring', lend: true });
    parentPort!.postMessage('ready');
    for (;;) {
      const r = reader.nextSync();
      if (r.kind === 'end') break;
      const data = r.data as Float64Array | Uint8Array;
      chunks++;
      units += data.length;
      touch += data[0] + data[data.length - 1];
    }
    parentPort!.postMessage({ chunks, units, touch } satisfies Done);
    return;
  }
  parentPort!.on('message', (data: Float64Array | Uint8Array | null) => {
    if (data === null) {
      parentPort!.postMessage({ chunks, units, touch } satisfies Done);
      parentPort!.close();
      return;
    }
    chunks++;
    units += data.length;
    touch += data[0] + data[data.length - 1];
  });
  parentPort!.postMessage('ready');
}

// ---------------------------------------------------------------- the driver

function chunksFor(load: Load): (Float64Array | Uint8Array)[] {
  const total = MB * 1024 * 1024;
  if (load === 'numbers') {
    const n = total / (NUMBERS_PER_CHUNK * 8);
    return Array.from({ length: n }, (_, c) => Float64Array.from({ length: NUMBERS_PER_CHUNK }, (_, i) => c + i * 0.5));
  }
  const n = total / BYTES_PER_CHUNK;
  return Array.from({ length: n }, (_, c) => new Uint8Array(BYTES_PER_CHUNK).fill(c % 251));
}

function once<T>(w: Worker, what: (m: unknown) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: unknown): void => {
      if (!what(m)) return;
      w.off('message', on);
      resolve(m as T);
    };
    w.on('message', on);
    w.once('error', reject);
  });
}

/** Units (numbers or bytes) per second over one transport. */
async function measure(transport: Transport, chunks: (Float64Array | Uint8Array)[]): Promise<number> {
  const ring = transport === 'ring' ? createRing(RING_BYTES) : undefined;
  const w = new Worker(fileURLToPath(import.meta.url), { workerData: { transport, ring } satisfies Job });
  await once(w, (m) => m === 'ready');
  const done = once<Done>(w, (m) => typeof m === 'object' && m !== null);
  const t0 = process.hrtime.bigint();
  if (ring) {
    const writer = new RingWriter(ring, 'bench ring');
    for (const c of chunks) await writer.send(c);
    await writer.end();
  } else {
    for (const c of chunks) w.postMessage(c);
    w.postMessage(null);
  }
  const result = await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await w.terminate();
  const units = chunks.reduce((n, c) => n + c.length, 0);
  if (result.units !== units || result.chunks !== chunks.length) {
    throw new Error(`${transport}: the worker got ${result.chunks} chunks and ${result.units} units, not ${chunks.length} and ${units}`);
  }
  return units / seconds;
}

/** A pure function of about 1–2 µs on this machine: integer hashing rounds, no allocation. */
const costly = (x: number): number => {
  let h = x | 0;
  for (let i = 0; i < 500; i++) h = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + i) | 0;
  return h;
};

async function cpuBound(): Promise<void> {
  const xs = Array.from({ length: CPU_ELEMENTS }, (_, i) => i);
  const io = new IO({ workers: 2 });
  const bare = [0, 1].map(() => new Worker(fileURLToPath(import.meta.url), { workerData: { transport: 'cpu' } satisfies Job }));
  const half = (w: Worker, from: number, to: number): Promise<number> => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage({ from, to });
  });
  const shapes = {
    collect: {
      one: () => io.from(xs).map(costly).collect().completion(),
      two: () => io.from(xs).parallel(2, { chunk: 4096 }).map(costly).collect().completion(),
    },
    sum: {
      one: () => io.from(xs).map(costly).sum().completion(),
      two: () => io.from(xs).parallel(2, { chunk: 4096 }).map(costly).sum().completion(),
    },
    'bare threads': {
      one: async () => {
        let s = 0;
        for (let i = 0; i < CPU_ELEMENTS; i++) s = (s + costly(i)) | 0;
        return s;
      },
      two: async () => {
        const [a, b] = await Promise.all([half(bare[0], 0, CPU_ELEMENTS / 2), half(bare[1], CPU_ELEMENTS / 2, CPU_ELEMENTS)]);
        return (a + b) | 0;
      },
    },
  };
  type Shape = keyof typeof shapes;
  const cpuTimes = new Map<string, number[]>();
  const seconds = async (f: () => Promise<unknown>, key?: string): Promise<[number, unknown]> => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const r = await f();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (key !== undefined) (cpuTimes.get(key) ?? cpuTimes.set(key, []).get(key)!).push((cpu.user + cpu.system) / 1e6);
    return [wall, r];
  };
  const times = new Map<string, number[]>();
  const ratios = new Map<Shape, number[]>();
  const cpuRatios = new Map<Shape, number[]>();
  // A warm-up round (workers started, code optimised), not counted.
  for (const shape of Object.keys(shapes) as Shape[]) {
    const [, a] = await seconds(shapes[shape].one);
    const [, b] = await seconds(shapes[shape].two);
    if (shape !== 'bare threads' && JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${shape}: parallel(2) and one thread disagree`);
  }
  const load0 = loadavg()[0];
  for (let round = 0; round < RUNS; round++) {
    for (const shape of Object.keys(shapes) as Shape[]) {
      const order: ('one' | 'two')[] = round % 2 ? ['two', 'one'] : ['one', 'two'];
      const got: Record<string, number> = {};
      for (const w of order) got[w] = (await seconds(shapes[shape][w], `${shape}/${w}`))[0];
      for (const w of order) (times.get(`${shape}/${w}`) ?? times.set(`${shape}/${w}`, []).get(`${shape}/${w}`)!).push(got[w]);
      (ratios.get(shape) ?? ratios.set(shape, []).get(shape)!).push(got.one / got.two);
      const cpu = (w: string): number => cpuTimes.get(`${shape}/${w}`)!.at(-1)!;
      (cpuRatios.get(shape) ?? cpuRatios.set(shape, []).get(shape)!).push(cpu('one') / cpu('two'));
    }
  }
  await io.close();
  await Promise.all(bare.map((w) => w.terminate()));
  const perElement = median(times.get('collect/one')!) / CPU_ELEMENTS * 1e6;
  console.log(`\n# A CPU-bound map, ${CPU_ELEMENTS.toLocaleString('en')} elements (${perElement.toFixed(2)} µs each on one thread), parallel(2) against one thread (${RUNS} rounds; load average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after)\n`);
  console.log(markdownTable(
    ['chain', 'one thread', 'parallel(2)', 'speed-up (median of per-round ratios)', 'bar', 'per-round ratios', 'CPU one thread', 'CPU parallel(2)', 'speed-up two idle cores could give (2 × CPU ratio)'],
    (Object.keys(shapes) as Shape[]).map((shape) => [
      shape === 'bare threads' ? 'the same loop, bare: 1 thread against 2 (the machine\'s ceiling now)' : `map → ${shape}`,
      `${(median(times.get(`${shape}/one`)!) * 1000).toFixed(0)} ms`,
      `${(median(times.get(`${shape}/two`)!) * 1000).toFixed(0)} ms`,
      `${median(ratios.get(shape)!).toFixed(2)}×`,
      shape === 'bare threads' ? '' : '≥ 1.8×',
      ratios.get(shape)!.map((r) => r.toFixed(2)).sort().join(' '),
      `${(median(cpuTimes.get(`${shape}/one`)!) * 1000).toFixed(0)} ms`,
      `${(median(cpuTimes.get(`${shape}/two`)!) * 1000).toFixed(0)} ms`,
      `${(2 * median(cpuRatios.get(shape)!)).toFixed(2)}×`,
    ]),
  ));
}

async function main(): Promise<void> {
  if (PARTS.includes('ring')) await ringThroughput();
  if (PARTS.includes('cpu')) await cpuBound();
}

async function ringThroughput(): Promise<void> {
  const loads: Load[] = ['numbers', 'bytes'];
  const transports: Transport[] = ['ring', 'postMessage'];
  const data = new Map(loads.map((l) => [l, chunksFor(l)]));
  const rates = new Map<string, number[]>();
  const ratios = new Map<Load, number[]>();
  // One warm-up round, not counted.
  for (const l of loads) for (const t of transports) await measure(t, data.get(l)!.slice(0, 256));
  for (let round = 0; round < RUNS; round++) {
    for (const l of loads) {
      const got = new Map<Transport, number>();
      for (const t of round % 2 ? [...transports].reverse() : transports) got.set(t, await measure(t, data.get(l)!));
      for (const t of transports) (rates.get(`${l}/${t}`) ?? rates.set(`${l}/${t}`, []).get(`${l}/${t}`)!).push(got.get(t)!);
      (ratios.get(l) ?? ratios.set(l, []).get(l)!).push(got.get('ring')! / got.get('postMessage')!);
    }
  }
  const show = (l: Load, r: number): string => (l === 'numbers' ? `${(r / 1e6).toFixed(0)} M numbers/s` : `${(r / 1e9).toFixed(2)} GB/s`);
  console.log(`# Cross-thread throughput, main thread → one worker (${MB} MB a load, ${RUNS} rounds, ring of ${RING_BYTES >> 10} KiB)\n`);
  console.log(markdownTable(
    ['load', 'chunk', 'ring', 'postMessage', 'ring / postMessage (median of per-round ratios)', 'bar', 'per-round ratios'],
    loads.map((l) => [
      l,
      l === 'numbers' ? `${NUMBERS_PER_CHUNK} float64` : `${BYTES_PER_CHUNK >> 10} KiB`,
      show(l, median(rates.get(`${l}/ring`)!)),
      show(l, median(rates.get(`${l}/postMessage`)!)),
      `${median(ratios.get(l)!).toFixed(2)}×`,
      l === 'numbers' ? '≥ 200 M numbers/s' : '≥ 2 GB/s',
      ratios.get(l)!.map((r) => r.toFixed(2)).sort().join(' '),
    ]),
  ));
}

if (isMainThread) await main();
else work(workerData as Job);
