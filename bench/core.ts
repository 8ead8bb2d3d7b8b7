// npm run bench: fused chains against a hand-written loop and the peers, side
// by side in one process, reported as ratios of medians to the hand loop.
//
// The machine is shared and noisy, so every case runs in many short rounds;
// each round measures every contender (in a rotated order), and the reported
// ratio is the median of the per-round ratios: slow drifts in background load
// cancel out. Absolute times are printed for reference only.
import { Bench } from 'tinybench';
import * as most from '@most/core';
import { newDefaultScheduler } from '@most/scheduler';
import type { Scheduler, Sink as MostSink, Stream, Time } from '@most/types';
import * as rx from 'rxjs';
import { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { clearShapeCache } from '../jit/compile.js';
import { snapshot, since } from '../jit/stats.js';
import '../processes/chain.js';
import { collect } from '../processes/collect.js';
import { median, markdownTable } from './table.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const TIME = Number(process.env.BENCH_TIME ?? 100);

// The user functions every contender calls.
const even = (x: number) => x % 2 === 0;
const add1 = (x: number) => x + 1;
const sum = (a: number, x: number) => a + x;

const ints = (n: number) => Array.from({ length: n }, (_, i) => i);
const million = ints(1_000_000);
const twoMillion = ints(2_000_000);

// @most/core, the way its own perf suite drives it: an array source and class sinks.
class FromArray<A> implements Stream<A> {
  constructor(private readonly xs: A[]) {}
  run(sink: MostSink<A>, _scheduler: Scheduler) {
    const xs = this.xs;
    for (let i = 0; i < xs.length; i++) sink.event(0 as Time, xs[i]);
    sink.end(0 as Time);
    return { dispose() {} };
  }
}

class ReduceSink<A, B> implements MostSink<A> {
  constructor(private readonly f: (b: B, a: A) => B, public value: B) {}
  event(_t: Time, x: A) {
    this.value = this.f(this.value, x);
  }
  end() {}
  error(_t: Time, e: Error) {
    throw e;
  }
}

const scheduler = newDefaultScheduler();
function mostReduce<A, B>(f: (b: B, a: A) => B, seed: B, stream: Stream<A>): B {
  const sink = new ReduceSink(f, seed);
  stream.run(sink, scheduler);
  return sink.value;
}

function rxReduce<A, B>(f: (b: B, a: A) => B, seed: B, o: rx.Observable<A>): B {
  let out!: B;
  o.pipe(rx.reduce(f, seed)).subscribe((v) => (out = v));
  return out;
}

interface Case {
  name: string;
  expected: number;
  contenders: Record<string, () => number>;
}

const io = new IO();

const cases: Case[] = [
  {
    name: 'filter → map → reduce, 1,000,000 ints',
    expected: million.filter(even).map(add1).reduce(sum, 0),
    contenders: {
      'hand loop': () => {
        let acc = 0;
        for (let i = 0; i < million.length; i++) {
          const x = million[i];
          if (even(x)) acc = sum(acc, add1(x));
        }
        return acc;
      },
      pushback: () => io.from(million).grep(even).map(add1).reduce(sum, 0).run(),
      '@most/core': () => mostReduce(sum, 0, most.map(add1, most.filter(even, new FromArray(million)))),
      RxJS: () => rxReduce(sum, 0, rx.from(million).pipe(rx.filter(even), rx.map(add1))),
      'Array methods': () => million.filter(even).map(add1).reduce(sum, 0),
    },
  },
  {
    name: 'scan, 1,000,000 ints',
    expected: million.reduce(sum, 0),
    contenders: {
      'hand loop': () => {
        let acc = 0;
        let last = 0;
        for (let i = 0; i < million.length; i++) {
          acc = sum(acc, million[i]);
          last = acc;
        }
        return last;
      },
      pushback: () => io.from(million).scan(sum, 0).reduce((_: number, x: number) => x, 0).run(),
      '@most/core': () => mostReduce((_: number, x: number) => x, 0, most.scan(sum, 0, new FromArray(million))),
      RxJS: () => rxReduce((_: number, x: number) => x, 0, rx.from(million).pipe(rx.scan(sum, 0))),
      'Array methods': () => {
        let acc = 0;
        const scanned = million.map((x) => (acc = sum(acc, x)));
        return scanned.reduce((_, x) => x, 0);
      },
    },
  },
  {
    name: 'skip 1,000 / take 1,000,000 of 2,000,000',
    expected: twoMillion.slice(1000, 1_001_000).reduce(sum, 0),
    contenders: {
      'hand loop': () => {
        let acc = 0;
        const end = Math.min(twoMillion.length, 1000 + 1_000_000);
        for (let i = 1000; i < end; i++) acc = sum(acc, twoMillion[i]);
        return acc;
      },
      pushback: () => io.from(twoMillion).drop(1000).take(1_000_000).reduce(sum, 0).run(),
      '@most/core': () => mostReduce(sum, 0, most.take(1_000_000, most.skip(1000, new FromArray(twoMillion)))),
      RxJS: () => rxReduce(sum, 0, rx.from(twoMillion).pipe(rx.skip(1000), rx.take(1_000_000))),
      'Array methods': () => twoMillion.slice(1000, 1_001_000).reduce(sum, 0),
    },
  },
];

async function measure(c: Case): Promise<Map<string, { ms: number[]; ratio: number[] }>> {
  for (const [name, fn] of Object.entries(c.contenders)) {
    const got = fn();
    if (got !== c.expected) throw new Error(`${c.name}: ${name} returned ${got}, expected ${c.expected}`);
  }
  const out = new Map<string, { ms: number[]; ratio: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME, warmupTime: 30, iterations: 3 });
    const entries = Object.entries(c.contenders);
    for (let i = 0; i < entries.length; i++) {
      const [name, fn] = entries[(i + round) % entries.length];
      bench.add(name, fn);
    }
    await bench.run();
    const medians = new Map(bench.tasks.map((t) => [t.name, (t.result as { latency: { p50: number } }).latency.p50]));
    const hand = medians.get('hand loop')!;
    for (const [name, ms] of medians) {
      const row = out.get(name) ?? { ms: [], ratio: [] };
      row.ms.push(ms);
      row.ratio.push(ms / hand);
      out.set(name, row);
    }
  }
  return out;
}

/**
 * Compile times for one seven-process chain: a shape-cache miss (codegen, parse
 * check, pretty print, new Function), a hit (codegen and bind only), and the
 * recompile of the upstream entry after one rewire downstream.
 */
function compileTimes(): { compile: number; bind: number; recompile: number } {
  const samples = { compile: [] as number[], bind: [] as number[], recompile: [] as number[] };
  const build = (i: number) => io.from([1, 2, 3]).map(add1).grep(even).scan(sum, i).take(5).drop(1).map(add1).collect();
  for (let i = 0; i < 300; i++) {
    const miss = i % 2 === 0;
    if (miss) clearShapeCache();
    const sink = build(i);
    const before = snapshot();
    let t = performance.now();
    sink.source.entry('out>', 'flow').ready();
    const elapsed = (performance.now() - t) * 1000;
    if (i >= 50) {
      if (miss !== since(before).compiles > 0) throw new Error('compile-time bench: the shape cache did not behave as expected');
      (miss ? samples.compile : samples.bind).push(elapsed);
    }
    const last = sink.process.peer('in')!.process;
    last.disconnect('out');
    last.connect('out', new Process(io, collect), 'in');
    t = performance.now();
    sink.source.entry('out>', 'flow').ready();
    if (i >= 50) samples.recompile.push((performance.now() - t) * 1000);
  }
  return { compile: median(samples.compile), bind: median(samples.bind), recompile: median(samples.recompile) };
}

async function main(): Promise<void> {
  console.log(`# pushback core benchmark\n\nnode ${process.version}, ${ROUNDS} rounds of ${TIME} ms per contender; × hand loop = median over rounds of (contender median ms / hand-loop median ms in the same round).\n`);
  for (const c of cases) {
    const rows = await measure(c);
    console.log(`## ${c.name}\n`);
    console.log(markdownTable(['contender', 'median ms', '× hand loop'], [...rows].map(([name, r]) => [name, median(r.ms).toFixed(2), median(r.ratio).toFixed(2)])));
    console.log('');
  }
  const t = compileTimes();
  console.log('## compile times, seven-process chain (median µs)\n');
  console.log(markdownTable(['what', 'µs'], [
    ['new shape: codegen, check, new Function', t.compile.toFixed(0)],
    ['known shape: codegen and bind (shape-cache hit)', t.bind.toFixed(0)],
    ['recompile after one rewire downstream', t.recompile.toFixed(0)],
  ]));
}

await main();
