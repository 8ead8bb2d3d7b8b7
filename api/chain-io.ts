// The chaining API for real IO: sources (files, stdin, Node and Web streams,
// async iterables), framing (lines, jsonl, fields), reducers that emit, sinks
// (files, stdout, streams, `for await`), error policies and completion.
//
//   await io.file('access.log').lines().grep(/ERROR/).map((l) => l.slice(0, 80)).take(10).unlines().toStdout().completion();
//
// Nothing runs until `completion()` (or `for await`) starts the run.
import { Readable, type Writable } from 'node:stream';
import { IO } from '../engine/io.js';
import { checkPolicy, SKIP, type ErrorPolicy, type ErrorReporter } from '../engine/policy.js';
import { Process } from '../engine/process.js';
import { registerDriver, Run } from '../engine/run.js';
import { Chain, Sink } from './chain.js';
import { count } from '../processes/sinks/count.js';
import { fields as fieldsDef, picker } from '../processes/elements/fields.js';
import { fold } from '../processes/sinks/fold.js';
import { from, pump } from '../processes/sources/from.js';
import { guardByDefault, setPolicy } from './guarded.js';
import { supervise } from './realm.js';
import { CHUNK_SIZE, input } from '../processes/sources/input.js';
import { iterate, iterator, BYTE_CAPACITY, CAPACITY } from '../processes/sinks/iterate.js';
import { jsonl as jsonlDef, parser, type JsonlOptions } from '../processes/elements/jsonl.js';
import { byteLines, lines as linesDef } from '../processes/bytes/lines.js';
import { readNumber } from '../processes/bytes/numbers.js';
import { mapBytes as mapBytesDef } from '../processes/bytes/map-bytes.js';
import { attach, HIGH_WATER, output } from '../processes/sinks/output.js';
import { iterableReader, lazyFile, readableReader, webReader, type FileOptions, type Reader } from '../processes/sources/readers.js';
import { split as splitDef, splitter } from '../processes/elements/split.js';
import { stringify as stringifyDef } from '../processes/elements/stringify.js';
import { tableOf, tr as trDef } from '../processes/bytes/tr.js';
import { sameValue, uniq as uniqDef } from '../processes/elements/uniq.js';
import { unlines as unlinesDef } from '../processes/bytes/unlines.js';
import { fileWriter, nodeWriter, stdoutWriter, webWriter, type Writer } from '../processes/sinks/writers.js';

/** One byte of a byte stream. Byte chains move Uint8Array chunks; their elements are bytes. */
export type Byte = number;

export interface SourceOptions {
  /** The most a source reads at once (default 64 KiB). */
  chunkSize?: number;
}

declare module '../engine/io.js' {
  interface IO {
    /** The bytes of a file, read as the chain admits them. */
    file(path: string, options?: SourceOptions & FileOptions): Chain<Byte>;
    /** The bytes of standard input (a core service of the container: one chain at a time). */
    stdin(options?: SourceOptions): Chain<Byte>;
    /** Whatever a reader gives (see readers.ts). */
    read<X = unknown>(reader: Reader, options?: SourceOptions): Chain<X>;
    /** A Node Readable: bytes, or values in object mode. */
    fromReadable<X = Byte>(readable: Readable, options?: SourceOptions): Chain<X>;
    /** A Web ReadableStream: bytes, or values with `bytes: false`. */
    fromWeb<X = Byte>(stream: ReadableStream<unknown>, options?: SourceOptions & { bytes?: boolean }): Chain<X>;
    /** An async (or sync) iterable: its values, or byte chunks with `bytes: true`. */
    fromAsync<X>(iterable: AsyncIterable<X> | Iterable<X>, options?: SourceOptions & { bytes?: boolean }): Chain<X>;
  }
}

declare module './chain.js' {
  interface Chain<X> {
    /** Sets the error policy for the steps that follow (see engine/policy.ts; 'realm': api/realm.ts). */
    onError(policy: ErrorPolicy, report?: ErrorReporter): Chain<X>;
    /**
     * Bytes to lines ("\n" or "\r\n"; the last line may lack its newline). Bytes
     * that are not UTF-8 become U+FFFD, unless `keepBytes`: then such a line
     * is a Buffer of its own bytes, and `unlines` writes it back unchanged.
     */
    lines(): Chain<string>;
    lines(options: { keepBytes: true }): Chain<string | Buffer>;
    /** Each element as one line of bytes. */
    unlines(): Chain<Byte>;
    /** Parses each line as JSON; bad lines are reported and skipped unless `strict`. */
    jsonl<Y = unknown>(options?: JsonlOptions): Chain<Y>;
    /** Each value as a string (JSON by default). */
    stringify(f?: (x: X) => string): Chain<string>;
    /** Each string as an array of fields (white space, like awk, without a separator). */
    split(separator?: string): Chain<string[]>;
    /** Picks fields by 1-based numbers and ranges ("1,3", "2-"), joined by the separator or a space. */
    fields(list: string, separator?: string): Chain<string>;
    /** Drops an element equal (by value: strings, bytes, JSON-like objects) to the one before it. */
    uniq(): Chain<X>;
    /** How many elements there were, emitted when the input ends. */
    count(): Chain<number>;
    /** The sum of the elements as numbers (see numbers.ts: text that is not a number is an error), emitted when the input ends. */
    sum(): Chain<number>;
    /** Folds the input; the result is emitted when the input ends. */
    fold<A>(f: (acc: A, x: X) => A, seed: A): Chain<A>;
    /** Translates bytes like GNU `tr SET1 SET2` (ranges a-z, escapes \n \t \\ \NNN, classes [:lower:]). */
    tr(set1: string, set2: string): Chain<Byte>;
    /** ASCII uppercase of a byte stream. */
    upper(): Chain<Byte>;
    /** ASCII lowercase of a byte stream. */
    lower(): Chain<Byte>;
    /** Applies f to whole byte chunks (Uint8Array -> Uint8Array). */
    mapBytes(f: (chunk: Uint8Array) => Uint8Array): Chain<Byte>;
    /** Writes to a file (bytes). */
    toFile(path: string, options?: { highWater?: number }): Sink<number>;
    /** Writes to standard output (a core service); an early close ends the run cleanly. */
    toStdout(options?: { highWater?: number }): Sink<number>;
    /** Writes to a Node Writable, with its backpressure; `end: false` leaves it open. */
    toWritable(writable: Writable, options?: { highWater?: number; end?: boolean }): Sink<number>;
    /** Writes to a Web WritableStream. */
    toWeb(stream: WritableStream<unknown>, options?: { highWater?: number; bytes?: boolean }): Sink<number>;
    /** Writes to any writer (see writers.ts). */
    write(writer: Writer, options?: { highWater?: number }): Sink<number>;
    /** A Node Readable fed by the chain (bytes unless `objectMode`). */
    toReadable(options?: { objectMode?: boolean }): Readable;
    /** A Web ReadableStream fed by the chain. */
    toReadableStream(): ReadableStream<X>;
    /** `for await (const x of chain)`: values, or Uint8Array chunks for byte chains. */
    [Symbol.asyncIterator](): AsyncIterableIterator<X>;
  }

  interface Sink<R> {
    /** Starts the run (once) and resolves with the result when the sink has finished. */
    completion(): Promise<R>;
  }
}

// ---------------------------------------------------------------- sources

function chunkSize(options: SourceOptions = {}): number {
  const n = options.chunkSize ?? CHUNK_SIZE;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`chunkSize must be a positive integer, got ${n}`);
  return n;
}

guardByDefault(input);

// An array source driven asynchronously: pumped until done, waiting while blocked.
registerDriver(from, async (s) => {
  for (;;) {
    const outcome = pump(s);
    if (outcome !== 'blocked') return;
    await s.whenWritableAgain('out');
  }
});

IO.prototype.read = function read<X>(this: IO, reader: Reader, options?: SourceOptions): Chain<X> {
  const s = new Process(this, input, { reader, chunkSize: chunkSize(options) });
  return new Chain<X>(this, s, s);
};

IO.prototype.file = function file(this: IO, path: string, options?: SourceOptions & FileOptions): Chain<Byte> {
  return this.read<Byte>(lazyFile(path, options), options);
};

IO.prototype.stdin = function stdin(this: IO, options?: SourceOptions): Chain<Byte> {
  let s = this.serviceNamed('stdin');
  if (!s || (s.state.done as boolean)) {
    s = this.service('stdin', new Process(this, input, { reader: readableReader(process.stdin, 'stdin'), chunkSize: chunkSize(options) }));
  }
  return new Chain<Byte>(this, s, s);
};

IO.prototype.fromReadable = function fromReadable<X>(this: IO, readable: Readable, options?: SourceOptions): Chain<X> {
  return this.read<X>(readableReader(readable), options);
};

IO.prototype.fromWeb = function fromWeb<X>(this: IO, stream: ReadableStream<unknown>, options: SourceOptions & { bytes?: boolean } = {}): Chain<X> {
  return this.read<X>(webReader(stream, { bytes: options.bytes }), options);
};

IO.prototype.fromAsync = function fromAsync<X>(this: IO, iterable: AsyncIterable<X> | Iterable<X>, options: SourceOptions & { bytes?: boolean } = {}): Chain<X> {
  return this.read<X>(iterableReader(iterable, { bytes: options.bytes }), options);
};

// ---------------------------------------------------------------- steps

const proto = Chain.prototype as Chain<unknown>;

proto.onError = function onError(policy, report) {
  if (policy === 'realm') return supervise(this);
  setPolicy(this.source, checkPolicy(policy), report);
  return this;
};

proto.lines = function lines(this: Chain<unknown>, options?: { keepBytes?: boolean }) {
  return this.pipe(options?.keepBytes ? byteLines : linesDef);
} as Chain<unknown>['lines'];

proto.unlines = function unlines() {
  return this.pipe(unlinesDef);
};

proto.jsonl = function jsonl(this: Chain<unknown>, options?: JsonlOptions) {
  const report = options?.report ?? ((e) => process.emitWarning(e.message, 'PushbackJsonl'));
  return this.pipe(jsonlDef, { parse: parser({ ...options, report }), skip: SKIP });
} as Chain<unknown>['jsonl'];

proto.stringify = function stringify(f?: (x: unknown) => string) {
  return this.pipe(stringifyDef, { stringify: f ?? ((x: unknown) => JSON.stringify(x) ?? 'null') });
};

proto.split = function split(separator?: string) {
  return this.pipe(splitDef, { split: splitter(separator) });
};

proto.fields = function fields(list: string, separator?: string) {
  return this.pipe(fieldsDef, { pick: picker(list, separator) });
};

proto.uniq = function uniq() {
  return this.pipe(uniqDef, { same: sameValue });
};

proto.count = function count_() {
  return this.pipe(count);
};

proto.sum = function sum() {
  return this.pipe(fold, { f: (a: number, x: unknown) => a + readNumber(x), seed: 0 });
};

proto.fold = function fold_(this: Chain<unknown>, f: (acc: unknown, x: unknown) => unknown, seed: unknown) {
  if (typeof f !== 'function') throw new TypeError(`fold: expected a function, got ${typeof f}`);
  return this.pipe(fold, { f, seed });
} as Chain<unknown>['fold'];

proto.tr = function tr(set1: string, set2: string) {
  return this.pipe(trDef, { table: tableOf(set1, set2) });
};

proto.upper = function upper() {
  return this.tr('a-z', 'A-Z');
};

proto.lower = function lower() {
  return this.tr('A-Z', 'a-z');
};

proto.mapBytes = function mapBytes(f) {
  if (typeof f !== 'function') throw new TypeError(`mapBytes: expected a function, got ${typeof f}`);
  return this.pipe(mapBytesDef, { f });
};

// ---------------------------------------------------------------- sinks

function highWater(writer: Writer, options: { highWater?: number } = {}): number {
  const n = options.highWater ?? (writer.bytes ? HIGH_WATER : CAPACITY);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`highWater must be a positive integer, got ${n}`);
  return n;
}

proto.write = function write(writer: Writer, options?: { highWater?: number }): Sink<number> {
  const o = attach(this.pipe<never>(output, { writer, highWater: highWater(writer, options) }).tail);
  return new Sink(this.io, this.source, o, () => o.state.written as number);
};

proto.toFile = function toFile(path: string, options?: { highWater?: number }) {
  return this.write(fileWriter(path), options);
};

proto.toWritable = function toWritable(writable, options: { highWater?: number; end?: boolean } = {}) {
  return this.write(nodeWriter(writable, { end: options.end }), options);
};

proto.toWeb = function toWeb(stream: WritableStream<unknown>, options: { highWater?: number; bytes?: boolean } = {}) {
  return this.write(webWriter(stream, { bytes: options.bytes }), options);
};

proto.toStdout = function toStdout(options?: { highWater?: number }) {
  let o = this.io.serviceNamed('stdout');
  if (!o || (o.state.finishing as boolean)) {
    const writer = stdoutWriter();
    o = this.io.service('stdout', attach(new Process(this.io, output, { writer, highWater: highWater(writer, options) }), { pin: false }));
  }
  this.tail.connect('out', o, 'in');
  const sink = o;
  return new Sink(this.io, this.source, sink, () => sink.state.written as number);
};

proto[Symbol.asyncIterator] = function asyncIterator() {
  const it = this.pipe<never>(iterate, { capacity: CAPACITY }).tail;
  return iterator(it);
};

proto.toReadable = function toReadable(options: { objectMode?: boolean } = {}) {
  const it = this.pipe<never>(iterate, { capacity: options.objectMode ? CAPACITY : BYTE_CAPACITY }).tail;
  return Readable.from(iterator(it), { objectMode: options.objectMode ?? false });
};

proto.toReadableStream = function toReadableStream() {
  const it = iterator<unknown>(this.pipe<never>(iterate, { capacity: CAPACITY }).tail);
  return new ReadableStream<unknown>({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return?.();
    },
  });
};

Sink.prototype.completion = function completion<R>(this: Sink<R>): Promise<R> {
  return Run.of(this.process, () => this.value).start();
};
