// output(writer): an asynchronous sink (a file, stdout, a Node Writable, a Web
// stream).
//
// It admits up to `highWater` bytes (values, for object-mode writers) beyond
// what the device has not yet confirmed. Every confirmed write frees room and
// calls `writableAgain('in')`, which wakes the source waiting upstream. When
// its input ends it waits for the last write, finishes the device, and its run
// completes. If the device goes away early (EPIPE from `| head -1`, a
// destroyed stream) it ends its input so the sources stop, and completes
// cleanly: that is not an error, as with grep.
import { bytesHeld } from '../../engine/bytes.js';
import { admitWith, chunk, define, value, type Instance } from '../../engine/definition.js';
import type { Elements } from '../../engine/flowable.js';
import type { Process } from '../../engine/process.js';
import { fault, finishesWhen } from '../../engine/run.js';
import { isEarlyClose, type Writer } from './writers.js';

export const HIGH_WATER = 1024 * 1024;

interface Finish {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Finish {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

type Output = Instance<{ writer: Writer; highWater: number }, {
  queued: number; written: number; closed: boolean; finishing: boolean; done: boolean; finish: Finish;
}>;

export const output = define('output', {
  ports: ['in'],
  inputs: ['in'],
  params: { writer: value<Writer>(), highWater: value<number>() },
  state: {
    /** Bytes (values) written but not yet confirmed by the device. */
    queued: () => 0,
    /** Bytes (values) confirmed. */
    written: () => 0,
    /** The device went away early. */
    closed: () => false,
    finishing: () => false,
    done: () => false,
    finish: () => deferred(),
  },
  onEnd: (o) => maybeFinish(o),
})
  .admittance('>in', admitWith((o, n) => (o.state.closed ? n : Math.max(0, o.params.highWater - o.state.queued))))
  .flow('>in', chunk((o, xs, offset, n) => {
    // After an early close the data has nowhere to go: it is taken and dropped.
    if (o.state.closed || n === 0) return n;
    const { writer } = o.params;
    if (!writer.bytes) {
      for (let i = 0; i < n; i++) write(o, writer, (xs as unknown[])[offset + i], 1);
    } else if (xs instanceof Uint8Array) {
      write(o, writer, xs.subarray(offset, offset + n), n);
    } else {
      for (const chunk of byteChunks(xs, offset, n)) write(o, writer, chunk, chunk.length);
    }
    return n;
  }));

/** Byte values and byte chunks from an array flowable; strings are encoded. */
function byteChunks(xs: unknown[], offset: number, n: number): Uint8Array[] {
  if (typeof xs[offset] === 'number') return [Uint8Array.from(xs.slice(offset, offset + n) as number[])];
  return xs.slice(offset, offset + n).map((x) => {
    if (x instanceof Uint8Array) return x;
    if (typeof x === 'string') return Buffer.from(x, 'utf8');
    throw new TypeError(`output: a byte writer takes bytes, byte chunks or strings, got ${x === null ? 'null' : typeof x}`);
  });
}

function write(o: Output, writer: Writer, chunk: unknown, size: number): void {
  o.state.queued += size;
  if (writer.bytes) bytesHeld(o.io).hold(size);
  writer.write(chunk, (error) => {
    o.state.queued -= size;
    if (writer.bytes) bytesHeld(o.io).release(size);
    if (error) {
      failed(o, error);
      maybeFinish(o);
      return;
    }
    o.state.written += size;
    if (!o.state.closed) o.writableAgain('in');
    maybeFinish(o);
  });
}

function failed(o: Output, error: Error): void {
  if (o.state.closed || o.state.done) return;
  if (isEarlyClose(error)) {
    o.state.closed = true;
    o.end('in');
    maybeFinish(o);
    return;
  }
  o.state.closed = true;
  fault(o, error);
  o.state.finish.reject(error);
}

/** Finishes once the input has ended (or the device closed) and nothing is in flight. */
function maybeFinish(o: Output): void {
  if (o.state.finishing || o.state.queued > 0) return;
  if (!o.state.closed && !o.isEnded('in')) return;
  o.state.finishing = true;
  const { finish } = o.state;
  if (o.state.closed) {
    o.state.done = true;
    finish.resolve();
    return;
  }
  o.params.writer.end((error) => {
    o.state.done = true;
    if (error && !isEarlyClose(error)) finish.reject(error);
    else finish.resolve();
  });
}

/**
 * Sets up an output process: error events from the device, the run's
 * completion, and pinning: an output is a side effect, kept alive (with the
 * chain feeding it) until it has finished. A service (stdout) is pinned as a
 * service instead, for the container's life.
 */
export function attach(sink: Process, options: { pin?: boolean } = {}): Process {
  if (!output.is(sink)) throw new TypeError(`${sink.label}: not an output`);
  const o = sink;
  o.params.writer.onError((error) => failed(o, error));
  const finished = o.state.finish.promise;
  finishesWhen(o, finished);
  if (options.pin !== false) {
    o.io.pin(o);
    finished.then(() => o.io.unpin(o), () => o.io.unpin(o));
  }
  return o;
}

/** Plain reference implementation: what the device receives. */
export function reference(xs: Elements): Elements {
  return xs.slice();
}
