// The chaining API: io.from(xs).map(f).grep(p).take(n).reduce(f, seed).
//
// Each call creates one process and connects the previous one's `out` to its
// `in`; nothing runs until a terminal step's `run()` pumps the source.
import type { Definition } from '../engine/definition.js';
import { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { settleAtStart, upstream } from '../engine/run.js';
import { explain } from '../jit/explain.js';
import { buffer } from '../processes/topology/buffer.js';
import { cat } from '../processes/elements/cat.js';
import { collect } from '../processes/sinks/collect.js';
import { drop } from '../processes/elements/drop.js';
import { each } from '../processes/sinks/each.js';
import { arraySources, from, pumpAll } from '../processes/sources/from.js';
import { grep } from '../processes/elements/grep.js';
import { guardUserCode } from './guarded.js';
import { map } from '../processes/elements/map.js';
import { reduce } from '../processes/sinks/reduce.js';
import { scan } from '../processes/elements/scan.js';
import { take } from '../processes/elements/take.js';

export type Predicate<X> = ((x: X) => unknown) | RegExp;

// Functions are passed as they are (grep's snippet tests truthiness itself): a
// wrapper made per chain would give the shared fused code a new callee every time.
function predicate<X>(p: Predicate<X>): (x: X) => unknown {
  if (p instanceof RegExp) {
    // A fresh non-global copy: a /g regex would carry lastIndex from one element to the next.
    const re = new RegExp(p.source, p.flags.replace(/[gy]/g, ''));
    return (x) => re.test(String(x));
  }
  return fn(p, 'grep');
}

export class Chain<X> {
  private made?: Process;
  private readonly make?: () => Process;
  private readonly last?: Process;

  constructor(
    readonly io: IO,
    /** The process the data comes from, or how to make it when it is first needed. */
    source: Process | (() => Process),
    /** The last process, if not the source; its `tailPort` feeds the next step. */
    tail?: Process,
    /** 'out', or a member such as 'out[2]' for one branch of a copy or a router. */
    readonly tailPort: string = 'out',
    /** For `io.from(array)`: the array, so that io.merge can read it without making a process. */
    readonly array?: readonly unknown[],
  ) {
    if (typeof source === 'function') this.make = source;
    else this.made = source;
    this.last = tail;
  }

  /** The process the data comes from (made now if it was deferred). */
  get source(): Process {
    return (this.made ??= this.make!());
  }

  /** The last process of the chain. */
  get tail(): Process {
    return this.last ?? this.source;
  }

  /** True for `io.from(array)` whose process has not been needed yet. */
  get untouchedArray(): boolean {
    return this.array !== undefined && this.made === undefined && this.last === undefined;
  }

  /**
   * Appends a process of `def` whose `inPort` is fed by this chain's tail.
   * `step` is what the user called it (`filter` for grep): messages name it so,
   * also when the error policy carries the step out with another class.
   */
  pipe<Y>(def: Definition, params: Record<string, unknown> = {}, inPort = 'in', step = def.name): Chain<Y> {
    // User functions (f, p) are guarded under the chain's error policy, if it has one.
    const guarded = guardUserCode(this.source, def, params);
    const next = new Process(this.io, guarded.def, guarded.params);
    if (step !== guarded.def.name) next.nameStep(step);
    guarded.bind(next);
    this.tail.connect(this.tailPort, next, inPort);
    return new Chain<Y>(this.io, this.source, next);
  }

  cat(): Chain<X> {
    return this.pipe(cat);
  }

  map<Y>(f: (x: X) => Y): Chain<Y> {
    return this.pipe(map, { f: fn(f, 'map') });
  }

  grep(p: Predicate<X>): Chain<X> {
    return this.pipe(grep, { p: predicate(p) });
  }

  /** filter is grep under its JavaScript name. */
  filter(p: Predicate<X>): Chain<X> {
    return this.pipe(grep, { p: predicate(p) }, 'in', 'filter');
  }

  take(limit: number): Chain<X> {
    return this.pipe(take, { limit: count(limit, 'take') });
  }

  drop(n: number): Chain<X> {
    return this.pipe(drop, { count: count(n, 'drop') });
  }

  scan<A>(f: (acc: A, x: X) => A, seed: A): Chain<A> {
    return this.pipe(scan, { f: fn(f, 'scan'), seed });
  }

  buffer(capacity: number): Chain<X> {
    return this.pipe(buffer, { capacity: count(capacity, 'buffer') });
  }

  reduce<A>(f: (acc: A, x: X) => A, seed: A): Sink<A> {
    const sink = this.pipe<never>(reduce, { f: fn(f, 'reduce'), seed }).tail;
    return new Sink(this.io, this.source, sink, () => sink.state.acc as A);
  }

  collect(): Sink<X[]> {
    const sink = this.pipe<never>(collect).tail;
    return new Sink(this.io, this.source, sink, () => sink.state.items as X[]);
  }

  /** Calls f on every element. A side effect: pinned until `unpin()`. */
  each(f: (x: X) => void): Sink<void> {
    const sink = this.pipe<never>(each, { f: fn(f, 'each') }).tail;
    this.io.pin(sink);
    return new Sink(this.io, this.source, sink, () => undefined);
  }

  /** The fused source of the flow that pushes from the source. */
  explain(): string {
    return explain(this.source, 'out>');
  }
}

export class Sink<R> {
  constructor(
    readonly io: IO,
    readonly source: Process,
    readonly process: Process,
    private readonly result: () => R,
  ) {}

  /** Pushes everything the array sources upstream have (round-robin when there are several); returns the result. */
  run(): R {
    settleAtStart(upstream(this.process));
    const blocked = pumpAll(arraySources(this.process));
    if (blocked.length > 0) {
      throw new Error(`${blocked.map((s) => s.label).join(', ')}: the chain stopped admitting before the source was done`);
    }
    return this.result();
  }

  get value(): R {
    return this.result();
  }

  get done(): boolean {
    return this.process.state.done === true;
  }

  unpin(): void {
    this.io.unpin(this.process);
  }

  explain(): string {
    return explain(this.source, 'out>');
  }
}

function fn<F>(f: F, step: string): F {
  if (typeof f !== 'function') throw new TypeError(`${step}: expected a function, got ${typeof f}`);
  return f;
}

function count(n: number, step: string): number {
  if (typeof n !== 'number' || !(n >= 0) || !Number.isFinite(n) && n !== Infinity) {
    throw new TypeError(`${step}: expected a count >= 0, got ${String(n)}`);
  }
  return Math.floor(n);
}

declare module '../engine/io.js' {
  interface IO {
    /** A chain whose source is the array (or any iterable, read into an array). */
    from<X>(xs: Iterable<X>): Chain<X>;
  }
}

IO.prototype.from = function from_<X>(this: IO, xs: Iterable<X>): Chain<X> {
  const array = Array.isArray(xs) ? xs : [...xs];
  // The process is made when the chain is first used: io.merge of untouched
  // array chains reads their arrays instead (see processes/sources/from-arrays.ts).
  return new Chain<X>(this, () => new Process(this, from, { xs: array }), undefined, 'out', array);
};
