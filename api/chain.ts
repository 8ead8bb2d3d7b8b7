// The chaining API: io.from(xs).map(f).grep(p).take(n).reduce(f, seed).
//
// Each step creates one process and connects the previous one's `out` to its
// `in`; nothing runs until a terminal step's `run()` or `completion()` starts
// the sources (or `for await` reads the chain). Every step is a member of
// `Chain`, and every result a member of `Sink`, declared here and nowhere else:
// there is nothing to import for its side effect. The sources are members of
// the user's IO container (api/io.ts).
import { Readable, type Writable } from 'node:stream';
import type { Definition } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import { checkPolicy, SKIP, type ErrorPolicy, type ErrorReporter } from '../engine/policy.js';
import { Process } from '../engine/process.js';
import { registerDriver, Run, settleAtStart, upstream } from '../engine/run.js';
import { explain } from '../jit/explain.js';
import { componentOf, type Graph } from '../inspect/graph.js';
import type { Realm } from '../realm/realm.js';
import { buffer } from '../processes/topology/buffer.js';
import { cat } from '../processes/elements/cat.js';
import { collect } from '../processes/sinks/collect.js';
import { collected, collectRuns } from '../processes/sinks/collect-runs.js';
import { copy as copyDef } from '../processes/topology/copy.js';
import { count as countDef } from '../processes/sinks/count.js';
import { drop } from '../processes/elements/drop.js';
import { each } from '../processes/sinks/each.js';
import { fields as fieldsDef, picker } from '../processes/elements/fields.js';
import { flatMap as flatMapDef } from '../processes/elements/flat-map.js';
import { fold as foldDef } from '../processes/sinks/fold.js';
import { arraySources, from, pump, pumpAll } from '../processes/sources/from.js';
import { grep } from '../processes/elements/grep.js';
import { input } from '../processes/sources/input.js';
import { iterate, iterator, BYTE_CAPACITY, CAPACITY } from '../processes/sinks/iterate.js';
import { jsonl as jsonlDef, parser, type JsonlOptions } from '../processes/elements/jsonl.js';
import { byteLines, lines as linesDef } from '../processes/bytes/lines.js';
import { map } from '../processes/elements/map.js';
import { mapBytes as mapBytesDef } from '../processes/bytes/map-bytes.js';
import { readNumber } from '../processes/bytes/numbers.js';
import { attach, HIGH_WATER, output } from '../processes/sinks/output.js';
import { reduce } from '../processes/sinks/reduce.js';
import { router } from '../processes/topology/router.js';
import { scan } from '../processes/elements/scan.js';
import { split as splitDef, splitter } from '../processes/elements/split.js';
import { stringify as stringifyDef } from '../processes/elements/stringify.js';
import { take } from '../processes/elements/take.js';
import { tableOf, tr as trDef } from '../processes/bytes/tr.js';
import { sameValue, uniq as uniqDef } from '../processes/elements/uniq.js';
import { unlines as unlinesDef } from '../processes/bytes/unlines.js';
import { fileWriter, nodeWriter, stdoutWriter, webWriter, type Writer } from '../processes/sinks/writers.js';
import { chainSteps, type Migrated, type MigrationTarget } from '../freezer/migrate.js';
import { migrate, type ClusterMigrateOptions } from './migrate.js';
import type { WorkerHost } from '../transport/worker-host.js';
import { guardByDefault, guardUserCode, setPolicy } from './guarded.js';
import { ParallelSection, poolOf, type ParallelOptions } from './parallel.js';
import type { ParallelStats } from '../transport/parallel-run.js';
import { RemoteHost } from './remote-host.js';
import { RemoteSection, type PlacementOptions } from './remote-section.js';
import { supervise, within } from './realm.js';

/** One byte of a byte stream. Byte chains move Uint8Array chunks; their elements are bytes. */
export type Byte = number;

export type Predicate<X> = ((x: X) => unknown) | RegExp;

// Chains from IO sources (files, stdin, streams) guard user code by default (api/guarded.ts).
guardByDefault(input);

// An array source driven asynchronously (by completion()): pumped until done, waiting while blocked.
registerDriver(from, async (s) => {
  for (;;) {
    const outcome = pump(s);
    if (outcome !== 'blocked') return;
    await s.whenWritableAgain('out');
  }
});

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

  /**
   * Moves this chain's steps (every process after its source) while the chain
   * runs, and resumes them there with their state (freezer/migrate.ts,
   * docs/freezer.md): to `host`, a worker thread; back to this thread with
   * `chain.migrate(io.host)`; from one worker to another; or to another host
   * of the cluster (`io.remoteHost(id)`, cluster/migrate-remote.ts). Connect
   * the chain to its sink first. Refuses, before anything moves, a step that
   * holds something that cannot be sent (a function that is not portable, an
   * open file).
   */
  migrate(host: MigrationTarget | RemoteHost, options?: ClusterMigrateOptions): Promise<Migrated> {
    // The steps as first found: once they moved, this thread knows them by these objects.
    this.migratedSteps ??= chainSteps(this.source, this.tail, this.tailPort);
    return migrate(this.migratedSteps, host, options);
  }

  /** The steps chain.migrate moves, found on its first call (the tail is not here while they are away). */
  private migratedSteps: Process[] | undefined;

  // ------------------------------------------------------------ element steps

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
    return this.pipe(take, { limit: natural(limit, 'take') });
  }

  drop(n: number): Chain<X> {
    return this.pipe(drop, { count: natural(n, 'drop') });
  }

  scan<A>(f: (acc: A, x: X) => A, seed: A): Chain<A> {
    return this.pipe(scan, { f: fn(f, 'scan'), seed });
  }

  buffer(capacity: number): Chain<X> {
    return this.pipe(buffer, { capacity: natural(capacity, 'buffer') });
  }

  /** Each element becomes the elements of f(x). */
  flatMap<Y>(f: (x: X) => Iterable<Y>): Chain<Y> {
    return this.pipe<Y>(flatMapDef, { f: fn(f, 'flatMap') });
  }

  /** The same as flatMap: inner sequences are synchronous, so order is kept either way. */
  concatMap<Y>(f: (x: X) => Iterable<Y>): Chain<Y> {
    // The same process, named in messages as the user wrote it.
    return this.pipe<Y>(flatMapDef, { f: fn(f, 'concatMap') }, 'in', 'concatMap');
  }

  // ------------------------------------------------------------ framing and text

  /**
   * Bytes to lines ("\n" or "\r\n"; the last line may lack its newline). Bytes
   * that are not UTF-8 become U+FFFD, unless `keepBytes`: then such a line
   * is a Buffer of its own bytes, and `unlines` writes it back unchanged.
   */
  lines(): Chain<string>;
  lines(options: { keepBytes: true }): Chain<string | Buffer>;
  lines(options?: { keepBytes?: boolean }): Chain<string> | Chain<string | Buffer> {
    return this.pipe(options?.keepBytes ? byteLines : linesDef);
  }

  /** Each element as one line of bytes. */
  unlines(): Chain<Byte> {
    return this.pipe(unlinesDef);
  }

  /** Parses each line as JSON; bad lines are reported and skipped unless `strict`. */
  jsonl<Y = unknown>(options?: JsonlOptions): Chain<Y> {
    const report = options?.report ?? ((e) => process.emitWarning(e.message, 'PushbackJsonl'));
    return this.pipe(jsonlDef, { parse: parser({ ...options, report }), skip: SKIP });
  }

  /** Each value as a string (JSON by default). */
  stringify(f?: (x: X) => string): Chain<string> {
    return this.pipe(stringifyDef, { stringify: f ?? ((x: unknown) => JSON.stringify(x) ?? 'null') });
  }

  /** Each string as an array of fields (white space, like awk, without a separator). */
  split(separator?: string): Chain<string[]> {
    return this.pipe(splitDef, { split: splitter(separator) });
  }

  /** Picks fields by 1-based numbers and ranges ("1,3", "2-"), joined by the separator or a space. */
  fields(list: string, separator?: string): Chain<string> {
    return this.pipe(fieldsDef, { pick: picker(list, separator) });
  }

  /** Drops an element equal (by value: strings, bytes, JSON-like objects) to the one before it. */
  uniq(): Chain<X> {
    return this.pipe(uniqDef, { same: sameValue });
  }

  /** Translates bytes like GNU `tr SET1 SET2` (ranges a-z, escapes \n \t \\ \NNN, classes [:lower:]). */
  tr(set1: string, set2: string): Chain<Byte> {
    return this.pipe(trDef, { table: tableOf(set1, set2) });
  }

  /** ASCII uppercase of a byte stream. */
  upper(): Chain<Byte> {
    return this.tr('a-z', 'A-Z');
  }

  /** ASCII lowercase of a byte stream. */
  lower(): Chain<Byte> {
    return this.tr('A-Z', 'a-z');
  }

  /** Applies f to whole byte chunks (Uint8Array -> Uint8Array). */
  mapBytes(f: (chunk: Uint8Array) => Uint8Array): Chain<Byte> {
    return this.pipe(mapBytesDef, { f: fn(f, 'mapBytes') });
  }

  // ------------------------------------------------------------ several inputs or outputs

  /** n branches that each receive everything (a broadcast). */
  copy(n: number): Chain<X>[] {
    return this.branches(this.pipe(copyDef).tail, n, 'copy');
  }

  /** copy(2). */
  tee(): [Chain<X>, Chain<X>] {
    const [a, b] = this.copy(2);
    return [a, b];
  }

  /** n branches; element x goes to branch key(x). */
  route(key: (x: X) => number, n: number): Chain<X>[] {
    if (typeof key !== 'function') throw new TypeError(`route: expected a key function, got ${typeof key}`);
    return this.branches(this.pipe(router, { key }, 'in', 'route').tail, n, 'route');
  }

  private branches(p: Process, n: number, step: string): Chain<X>[] {
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new TypeError(`${step}: expected 1 to 65,535 branches, got ${String(n)}`);
    return Array.from({ length: n }, (_, i) => new Chain<X>(this.io, this.source, p, `out[${i}]`));
  }

  // ------------------------------------------------------------ errors and realms

  /** Sets the error policy for the steps that follow (see engine/policy.ts; 'realm': api/realm.ts). */
  onError(policy: ErrorPolicy, report?: ErrorReporter): Chain<X> {
    if (policy === 'realm') return supervise(this);
    setPolicy(this.source, checkPolicy(policy), report);
    return this;
  }

  /**
   * Places the chain's processes, and the steps added after this call, in
   * `realm`; a name makes a child realm of the realm the source lives in,
   * which stops once those processes have finished.
   */
  within(realm: Realm | string): Chain<X> {
    within(this, realm);
    return this;
  }

  // ------------------------------------------------------------ placement (docs/workers.md)

  /**
   * The per-element steps that follow (map, filter/grep, flatMap/concatMap,
   * stringify) run on `n` worker threads of the container's pool, chunk by
   * chunk; the first other step (take, scan, a sink, ...) runs on this thread
   * after the merge. Their functions must be portable (checked now).
   */
  parallel(n: number, options: ParallelOptions = {}): ParallelChain<X> {
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`parallel: expected 1 to 256 workers, got ${String(n)}`);
    const slots = Array.from({ length: n }, (_, i) => i);
    return new ParallelChain<X>(this.io, new ParallelSection(this.io, this as Chain<unknown>, `parallel(${n})`, slots, options));
  }

  /**
   * The per-element steps that follow run on one worker of the pool (its slot
   * number, or its host), or on another machine of the cluster (a handle from
   * io.remoteHost(id) or io.hosts(); docs/cluster.md, "Joining through the IO
   * container, and placing a chain on another host").
   */
  on(host: RemoteHost, options?: PlacementOptions): ParallelChain<X, RemoteSection>;
  on(worker: number | WorkerHost, options?: Omit<ParallelOptions, 'key' | 'ordered'>): ParallelChain<X>;
  on(worker: number | WorkerHost | RemoteHost, options: Omit<ParallelOptions, 'key' | 'ordered'> | PlacementOptions = {}): ParallelChain<X, PlacedSection> {
    if (worker instanceof RemoteHost) return new ParallelChain<X, RemoteSection>(this.io, new RemoteSection(this.io, this as Chain<unknown>, worker, options as PlacementOptions));
    const slot = typeof worker === 'number' ? worker : poolOf(this.io)?.hosts().indexOf(worker) ?? -1;
    if (!Number.isInteger(slot) || slot < 0) throw new RangeError(`on: ${typeof worker === 'number' ? `no worker slot ${String(worker)}` : 'that host is not a worker of this container'}`);
    return new ParallelChain<X>(this.io, new ParallelSection(this.io, this as Chain<unknown>, `on(worker ${slot})`, [slot], options as Omit<ParallelOptions, 'key' | 'ordered'>));
  }

  // ------------------------------------------------------------ reducers
  //
  // The rule: every step that reduces the stream to one value (reduce, fold,
  // count, sum, and collect to an array) returns a Result, which answers run(),
  // completion() and value with that value. fold, count and sum emit their value
  // when the input ends, so their Result is a Chain as well, and any step may
  // follow it; reduce and collect keep theirs and end the chain (Sink).

  // After parallel(), a reducer given `combine` (an associative function, with
  // `seed` its identity) runs per chunk on the workers and combines the
  // partial results here; count and sum need none. Otherwise it runs here.

  reduce<A>(f: (acc: A, x: X) => A, seed: A, _options?: Combining<A>): Sink<A> {
    const sink = this.pipe<never>(reduce, { f: fn(f, 'reduce'), seed }).tail;
    return new Sink(this.io, this.source, sink, () => sink.state.acc as A);
  }

  /** Folds the input; the result is emitted when the input ends. */
  fold<A>(f: (acc: A, x: X) => A, seed: A, _options?: Combining<A>): Reduction<A> {
    const r = this.pipe<A>(foldDef, { f: fn(f, 'fold'), seed }).tail;
    return new Reduction<A>(this.io, this.source, r, () => r.state.acc as A);
  }

  /** How many elements there were, emitted when the input ends. */
  count(): Reduction<number> {
    const r = this.pipe<number>(countDef).tail;
    return new Reduction<number>(this.io, this.source, r, () => r.state.total as number);
  }

  /** The sum of the elements as numbers (see numbers.ts: text that is not a number is an error), emitted when the input ends. */
  sum(): Reduction<number> {
    const r = this.pipe<number>(foldDef, { f: (a: number, x: unknown) => a + readNumber(x), seed: 0 }).tail;
    return new Reduction<number>(this.io, this.source, r, () => r.state.acc as number);
  }

  collect(): Sink<X[]> {
    const sink = this.pipe<never>(collect).tail;
    return new Sink(this.io, this.source, sink, () => sink.state.items as X[]);
  }

  // ------------------------------------------------------------ sinks

  /** Calls f on every element. A side effect: pinned until `unpin()`. */
  each(f: (x: X) => void): Sink<void> {
    const sink = this.pipe<never>(each, { f: fn(f, 'each') }).tail;
    this.io.pin(sink);
    return new Sink(this.io, this.source, sink, () => undefined);
  }

  /** Writes to any writer (see processes/sinks/writers.ts). */
  write(writer: Writer, options?: { highWater?: number }): Sink<number> {
    const o = attach(this.pipe<never>(output, { writer, highWater: highWater(writer, options) }).tail);
    return new Sink(this.io, this.source, o, () => o.state.written as number);
  }

  /** Writes to a file (bytes). */
  toFile(path: string, options?: { highWater?: number }): Sink<number> {
    return this.write(fileWriter(path), options);
  }

  /** Writes to a Node Writable, with its backpressure; `end: false` leaves it open. */
  toWritable(writable: Writable, options: { highWater?: number; end?: boolean } = {}): Sink<number> {
    return this.write(nodeWriter(writable, { end: options.end }), options);
  }

  /** Writes to a Web WritableStream. */
  toWeb(stream: WritableStream<unknown>, options: { highWater?: number; bytes?: boolean } = {}): Sink<number> {
    return this.write(webWriter(stream, { bytes: options.bytes }), options);
  }

  /** Writes to standard output (a core service); an early close ends the run cleanly. */
  toStdout(options?: { highWater?: number }): Sink<number> {
    let o = this.io.serviceNamed('stdout');
    if (!o || (o.state.finishing as boolean)) {
      const writer = stdoutWriter();
      o = this.io.service('stdout', attach(new Process(this.io, output, { writer, highWater: highWater(writer, options) }), { pin: false }));
    }
    this.tail.connect('out', o, 'in');
    const sink = o;
    return new Sink(this.io, this.source, sink, () => sink.state.written as number);
  }

  /** `for await (const x of chain)`: values, or Uint8Array chunks for byte chains. */
  [Symbol.asyncIterator](): AsyncIterableIterator<X> {
    return iterator<X>(this.pipe<never>(iterate, { capacity: CAPACITY }).tail);
  }

  /** A Node Readable fed by the chain (bytes unless `objectMode`). */
  toReadable(options: { objectMode?: boolean } = {}): Readable {
    const it = this.pipe<never>(iterate, { capacity: options.objectMode ? CAPACITY : BYTE_CAPACITY }).tail;
    return Readable.from(iterator(it), { objectMode: options.objectMode ?? false });
  }

  /** A Web ReadableStream fed by the chain. */
  toReadableStream(): ReadableStream<X> {
    const it = iterator<X>(this.pipe<never>(iterate, { capacity: CAPACITY }).tail);
    return new ReadableStream<X>({
      async pull(controller) {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await it.return?.();
      },
    });
  }

  // ------------------------------------------------------------ seeing it

  /** The fused source of the flow that pushes from the source. */
  explain(): string {
    return explain(this.source, 'out>');
  }

  /** The topology of the processes connected to this chain. */
  graph(): Graph {
    return componentOf(this.tail);
  }
}

/** How a reducer after parallel() combines the partial results of chunks. */
export interface Combining<A> {
  /** Associative, with the seed as its identity: combine(seed, a) = a. Order is kept unless `ordered: false`. */
  combine?: (a: A, b: A) => A;
}

/**
 * Where a chain after parallel() or on() records its per-element steps: worker
 * threads (api/parallel.ts) or another host of the cluster (api/remote-section.ts).
 */
export type PlacedSection = Pick<ParallelSection, 'name' | 'closed' | 'add' | 'merged'> & {
  reduceEach: ParallelSection['reduceEach'];
  readonly stats: ParallelStats | undefined;
};

/**
 * A chain after parallel() or on(): its per-element steps are recorded for
 * the workers (or the far host); any other step joins the chain after the merge.
 */
export class ParallelChain<X, S extends PlacedSection = ParallelSection> extends Chain<X> {
  constructor(io: IO, readonly section: S) {
    super(io, () => section.merged());
  }

  override pipe<Y>(def: Definition, params: Record<string, unknown> = {}, inPort = 'in', step = def.name): Chain<Y> {
    if (this.section.add(def, params, step)) return new ParallelChain<Y, S>(this.io, this.section);
    return super.pipe<Y>(def, params, inPort, step);
  }

  override grep(p: Predicate<X>): Chain<X> {
    return super.grep(portablePredicate(p, 'grep', this.section));
  }

  override filter(p: Predicate<X>): Chain<X> {
    return super.filter(portablePredicate(p, 'filter', this.section));
  }

  // With a partial result per chunk, what reaches this thread are partial
  // results (A), not elements (X): the combiner folds them, hence the casts.

  override reduce<A>(f: (acc: A, x: X) => A, seed: A, options?: Combining<A>): Sink<A> {
    if (options?.combine === undefined || !this.section.reduceEach({ kind: 'fold', f: fn(f, 'reduce'), seed }, 'reduce')) return super.reduce(f, seed);
    return super.reduce(fn(options.combine, 'reduce') as unknown as (acc: A, x: X) => A, seed);
  }

  override fold<A>(f: (acc: A, x: X) => A, seed: A, options?: Combining<A>): Reduction<A> {
    if (options?.combine === undefined || !this.section.reduceEach({ kind: 'fold', f: fn(f, 'fold'), seed }, 'fold')) return super.fold(f, seed);
    return super.fold(fn(options.combine, 'fold') as unknown as (acc: A, x: X) => A, seed);
  }

  override count(): Reduction<number> {
    if (!this.section.reduceEach({ kind: 'count' }, 'count')) return super.count();
    return super.fold(add as unknown as (acc: number, x: X) => number, 0);
  }

  override sum(): Reduction<number> {
    if (!this.section.reduceEach({ kind: 'sum' }, 'sum')) return super.sum();
    return super.fold(add as unknown as (acc: number, x: X) => number, 0);
  }

  // The merge hands each chunk's outputs on as one run: collected as runs and
  // joined once at the end, not pushed one element at a time on this thread
  // (processes/sinks/collect-runs.ts).
  override collect(): Sink<X[]> {
    const sink = this.pipe<never>(collectRuns, {}, 'in', 'collect').tail;
    return new Sink(this.io, this.source, sink, () => collected(sink as Parameters<typeof collected>[0]) as X[]);
  }

  /** The bounds the run kept and what it did (once it has started). */
  get stats(): ParallelStats | undefined {
    return this.section.stats;
  }
}

const add = (a: number, b: number): number => a + b;

function portablePredicate<X>(p: Predicate<X>, step: string, section: PlacedSection): Predicate<X> {
  if (p instanceof RegExp && !section.closed) {
    throw new TypeError(`${step} (after ${section.name}): a RegExp cannot be sent to a worker as it is; write the test as a function, for example (x) => ${String(p)}.test(x)`);
  }
  return p;
}

/** What a chain ends in: one value, given by run() (array sources) or completion() (any source). */
export interface Result<R> {
  /** The process that holds the value. */
  readonly process: Process;
  /** Pushes everything the array sources upstream have; returns the value. */
  run(): R;
  /** Starts the run (once) and resolves with the value when the input has ended. */
  completion(): Promise<R>;
  /** The value so far (final once `done`). */
  readonly value: R;
  /** True once the input has ended. */
  readonly done: boolean;
}

/** The end of a chain: a process that keeps its result (collect, reduce, each, the writers). */
export class Sink<R> implements Result<R> {
  constructor(
    readonly io: IO,
    readonly source: Process,
    readonly process: Process,
    private readonly result: () => R,
  ) {}

  /** Pushes everything the array sources upstream have (round-robin when there are several); returns the result. */
  run(): R {
    const feeding = upstream(this.process);
    settleAtStart(feeding);
    const arrays = arraySources(this.process);
    const blocked = pumpAll(arrays);
    if (blocked.length > 0) {
      throw new Error(`${blocked.map((s) => s.label).join(', ')}: the chain stopped admitting before the source was done`);
    }
    // A source that reads later (a file, an async iterable, the merge of
    // parallel()) has nothing yet: returning now would hand back a partial
    // result as if it were the whole.
    const later = feeding.filter((p) => isSource(p) && !arrays.includes(p));
    if (later.length > 0 && !this.done) {
      throw new Error(`${later.map((s) => s.label).join(', ')}: read asynchronously, so run() cannot drive it; use completion() or for await`);
    }
    return this.result();
  }

  /** Starts the run (once) and resolves with the result when the sink has finished. */
  completion(): Promise<R> {
    return Run.of(this.process, this.result).start();
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

  /** The topology of the processes connected to this sink. */
  graph(): Graph {
    return componentOf(this.process);
  }
}

/**
 * A reducer that emits its value (fold, count, sum): a Result, and a Chain of
 * that one value, which any step may follow.
 */
export class Reduction<R> extends Chain<R> implements Result<R> {
  /** The same answers as a Sink of the process would give: one implementation of run and completion. */
  private readonly ending: Sink<R>;

  constructor(io: IO, source: Process, readonly process: Process, result: () => R) {
    super(io, source, process);
    this.ending = new Sink(io, source, process, result);
  }

  run(): R {
    return this.ending.run();
  }

  completion(): Promise<R> {
    return this.ending.completion();
  }

  get value(): R {
    return this.ending.value;
  }

  get done(): boolean {
    return this.ending.done;
  }
}

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

function fn<F>(f: F, step: string): F {
  if (typeof f !== 'function') throw new TypeError(`${step}: expected a function, got ${typeof f}`);
  return f;
}

function natural(n: number, step: string): number {
  if (typeof n !== 'number' || !(n >= 0) || !Number.isFinite(n) && n !== Infinity) {
    throw new TypeError(`${step}: expected a count >= 0, got ${String(n)}`);
  }
  return Math.floor(n);
}

function highWater(writer: Writer, options: { highWater?: number } = {}): number {
  const n = options.highWater ?? (writer.bytes ? HIGH_WATER : CAPACITY);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`highWater must be a positive integer, got ${n}`);
  return n;
}

/** A process with no input ports: it starts a stream. */
function isSource(p: Process): boolean {
  return p.def.ports.every((_, n) => !p.def.isInput(n));
}
