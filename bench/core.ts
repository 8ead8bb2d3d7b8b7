// npm run bench: fused chains against a hand-written loop and the peers, side
// by side in one process, reported as ratios of medians to the hand loop.
//
// The machine is shared and noisy, so every case runs in many short rounds;
// each round measures every contender (in a rotated order), and the reported
// ratio is the median of the per-round ratios: slow drifts in background load
// cancel out. Absolute times are printed for reference only.
import { Bench } from 'tinybench';
import * as most from '@most/core';
import { asap, newDefaultScheduler } from '@most/scheduler';
import type { Scheduler, Sink as MostSink, Stream, Time } from '@most/types';
import * as rx from 'rxjs';
import { IO } from '../api/io.js';
import { Process } from '../engine/process.js';
import { clearShapeCache } from '../jit/compile.js';
import { snapshot, since } from '../jit/stats.js';
import '../inspect/index.js';
import { collect } from '../processes/sinks/collect.js';
import { median, markdownTable } from './table.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const TIME = Number(process.env.BENCH_TIME ?? 100);

// The user functions every contender calls.
const even = (x: number) => x % 2 === 0;
const add1 = (x: number) => x + 1;
const sum = (a: number, x: number) => a + x;
const add = (a: number, b: number) => a + b;

const ints = (n: number) => Array.from({ length: n }, (_, i) => i);
const million = ints(1_000_000);
const twoMillion = ints(2_000_000);
const thousand = ints(1000);
const sources = ints(1000).map((s) => ints(1000).map((i) => s + i));
const left = ints(100_000);
const right = ints(100_000).map((i) => 2 * i);
const inner = (_: number) => thousand;

// @most/core, the way its own perf suite drives it: an array source scheduled
// with asap, and class sinks.
class FromArray<A> implements Stream<A> {
  constructor(private readonly xs: A[]) {}
  run(sink: MostSink<A>, scheduler: Scheduler) {
    return asap(new ArrayTask(this.xs, sink), scheduler);
  }
}

class ArrayTask<A> {
  private active = true;
  constructor(private readonly xs: A[], private readonly sink: MostSink<A>) {}
  run(t: Time) {
    const xs = this.xs;
    for (let i = 0; i < xs.length && this.active; i++) this.sink.event(t, xs[i]);
    if (this.active) this.sink.end(t);
  }
  error(t: Time, e: Error) {
    this.sink.error(t, e);
  }
  dispose() {
    this.active = false;
  }
}

class ReduceSink<A, B> implements MostSink<A> {
  constructor(private readonly f: (b: B, a: A) => B, public value: B, private readonly done: (b: B) => void, private readonly fail: (e: Error) => void) {}
  event(_t: Time, x: A) {
    this.value = this.f(this.value, x);
  }
  end() {
    this.done(this.value);
  }
  error(_t: Time, e: Error) {
    this.fail(e);
  }
}

const scheduler = newDefaultScheduler();
function mostReduce<A, B>(f: (b: B, a: A) => B, seed: B, stream: Stream<A>): Promise<B> {
  return new Promise((resolve, reject) => {
    stream.run(new ReduceSink(f, seed, resolve, reject), scheduler);
  });
}

function rxReduce<A, B>(f: (b: B, a: A) => B, seed: B, o: rx.Observable<A>): B {
  let out!: B;
  o.pipe(rx.reduce(f, seed)).subscribe((v) => (out = v));
  return out;
}

interface Case {
  name: string;
  expected: number;
  contenders: Record<string, () => number | Promise<number>>;
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
  {
    name: 'concatMap 1,000 × 1,000 → sum',
    expected: thousand.flatMap(inner).reduce(sum, 0),
    contenders: {
      'hand loop': () => {
        let acc = 0;
        for (let i = 0; i < thousand.length; i++) {
          const ys = inner(thousand[i]);
          for (let j = 0; j < ys.length; j++) acc = sum(acc, ys[j]);
        }
        return acc;
      },
      pushback: () => io.from(thousand).concatMap(inner).reduce(sum, 0).run(),
      '@most/core': () => mostReduce(sum, 0, most.concatMap((x: number) => new FromArray(inner(x)), new FromArray(thousand))),
      RxJS: () => rxReduce(sum, 0, rx.from(thousand).pipe(rx.concatMap((x: number) => rx.from(inner(x))))),
      'Array methods': () => thousand.flatMap(inner).reduce(sum, 0),
    },
  },
  {
    name: 'merge 1,000 sources × 1,000 → sum',
    expected: sources.flat().reduce(sum, 0),
    contenders: {
      'hand loop': () => {
        let acc = 0;
        for (let s = 0; s < sources.length; s++) {
          const xs = sources[s];
          for (let i = 0; i < xs.length; i++) acc = sum(acc, xs[i]);
        }
        return acc;
      },
      pushback: () => io.merge(...sources.map((xs) => io.from(xs))).reduce(sum, 0).run(),
      '@most/core': () => mostReduce(sum, 0, most.mergeArray(sources.map((xs) => new FromArray(xs)))),
      RxJS: () => rxReduce(sum, 0, rx.merge(...sources.map((xs) => rx.from(xs)))),
      'Array methods': () => sources.flat().reduce(sum, 0),
    },
  },
  {
    name: 'zip 2 × 100,000 → sum of pairs',
    expected: left.reduce((a, x, i) => a + x + right[i], 0),
    contenders: {
      'hand loop': () => {
        let acc = 0;
        const n = Math.min(left.length, right.length);
        for (let i = 0; i < n; i++) acc = sum(acc, add(left[i], right[i]));
        return acc;
      },
      pushback: () => io.zip(io.from(left), io.from(right), add).reduce(sum, 0).run(),
      '@most/core': () => mostReduce(sum, 0, most.zip(add, new FromArray(left), new FromArray(right))),
      RxJS: () => rxReduce(sum, 0, rx.zip(rx.from(left), rx.from(right)).pipe(rx.map(([a, b]) => add(a, b)))),
      'Array methods': () => left.map((x, i) => add(x, right[i])).reduce(sum, 0),
    },
  },
];

// The first row again in a container with an inspector attached (no page open):
// what counting per chunk costs. Same shape, so both bind one compiled function.
const inspected = new IO();
await inspected.inspect();
cases.splice(1, 0, {
  name: 'filter → map → reduce, 1,000,000 ints, with inspector attached',
  expected: cases[0].expected,
  contenders: {
    'hand loop': cases[0].contenders['hand loop'],
    pushback: cases[0].contenders.pushback,
    'pushback, inspector attached': () => inspected.from(million).grep(even).map(add1).reduce(sum, 0).run(),
  },
});

async function measure(c: Case): Promise<Map<string, { ms: number[]; ratio: number[] }>> {
  for (const [name, fn] of Object.entries(c.contenders)) {
    const got = await fn();
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
 * check, pretty print, new Function), a hit (the recorded shape replayed and its
 * slots bound), and the recompile of the upstream entry after one rewire
 * downstream.
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

const only = process.env.BENCH_ONLY;

async function main(): Promise<void> {
  console.log(`# pushback core benchmark\n\nnode ${process.version}, ${ROUNDS} rounds of ${TIME} ms per contender; × hand loop = median over rounds of (contender median ms / hand-loop median ms in the same round).\n`);
  for (const c of cases) {
    if (only && !c.name.includes(only)) continue;
    const rows = await measure(c);
    console.log(`## ${c.name}\n`);
    console.log(markdownTable(['contender', 'median ms', '× hand loop'], [...rows].map(([name, r]) => [name, median(r.ms).toFixed(2), median(r.ratio).toFixed(2)])));
    const attached = rows.get('pushback, inspector attached');
    if (attached) console.log(`\ninspector attached / not attached: ${median(attached.ms.map((ms, i) => ms / rows.get('pushback')!.ms[i])).toFixed(3)} (median of per-round ratios)`);
    console.log('');
  }
  const t = compileTimes();
  console.log('## compile times, seven-process chain (median µs)\n');
  console.log(markdownTable(['what', 'µs'], [
    ['new shape: codegen, check, new Function', t.compile.toFixed(0)],
    ['known shape: replayed and bound, no codegen', t.bind.toFixed(0)],
    ['recompile after one rewire downstream', t.recompile.toFixed(0)],
  ]));
}

await main();
