// Writers: where an `output` process puts its data. A writer reports each
// chunk's completion through a callback; the output process counts what is in
// flight and admits no more than its high-water mark, so a slow device holds
// back the whole chain instead of filling memory.
import { createWriteStream, writev } from 'node:fs';
import type { Writable } from 'node:stream';

export type Done = (error?: Error | null) => void;

export interface Writer {
  /** True: byte chunks; false: one value per write (object mode). */
  readonly bytes: boolean;
  /** Writes `chunk`; `done` runs once the device has taken it, or with the error. */
  write(chunk: unknown, done: Done): void;
  /** Called once, after the last write completed: finish the device. */
  end(done: Done): void;
  /** Errors that arrive outside a write (the device closed, failed to open). */
  onError(listener: (error: Error) => void): void;
  readonly name: string;
  /** The file it writes from its first byte on, when it writes one (a snapshot records how far: freezer/devices.ts). */
  readonly path?: string;
}

/** The most a writer gathers into one writev. */
const BATCH = 256 * 1024;

/** True for the errors that mean "the reader went away" (`| head -1`): a clean end, not a failure. */
export function isEarlyClose(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET';
}

/**
 * A Node Writable. `end: false` leaves it open after the last write (stdout:
 * the process may still print after the chain is done).
 */
export function nodeWriter(w: Writable, options: { end?: boolean; name?: string } = {}): Writer {
  const listeners: ((error: Error) => void)[] = [];
  // Without a listener an 'error' event would crash the process; write callbacks get the error too.
  w.on('error', (error) => {
    for (const l of listeners) l(error);
  });
  w.on('close', () => {
    if (!w.writableFinished) {
      const error = Object.assign(new Error(`${options.name ?? 'writable'} closed early`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      for (const l of listeners) l(error);
    }
  });
  // Chunks written in one burst (up to the output's high-water mark) go to the
  // device as one writev: a pipe then wakes its reader once, not per 64 KiB.
  let corked = false;
  let batched = 0;
  const uncork = (): void => {
    if (!corked) return;
    corked = false;
    batched = 0;
    w.uncork();
  };
  return {
    bytes: !w.writableObjectMode,
    name: options.name ?? 'writable',
    write(chunk, done) {
      if (w.destroyed || w.writableEnded) {
        done(Object.assign(new Error(`${options.name ?? 'writable'} is closed`), { code: 'ERR_STREAM_DESTROYED' }));
        return;
      }
      if (!corked) {
        corked = true;
        w.cork();
        process.nextTick(uncork);
      }
      w.write(chunk, done);
      batched += (chunk as { length?: number }).length ?? 1;
      // A batch of this much goes out at once, so the device works while more is made.
      if (batched >= BATCH) uncork();
    },
    end(done) {
      if (options.end === false || w.destroyed || w.writableEnded) {
        done();
        return;
      }
      w.end(done);
    },
    onError(listener) {
      listeners.push(listener);
    },
  };
}

/** A file, created or truncated. */
export function fileWriter(path: string): Writer {
  return { ...nodeWriter(createWriteStream(path), { name: path }), path };
}

/**
 * A file descriptor, written with fs.writev from the thread pool: a write that
 * blocks (a full pipe) waits there, not in the event loop, and whatever piled
 * up meanwhile goes out in the next writev. If the descriptor turns out to be
 * non-blocking (EAGAIN), `fallback` takes over.
 */
export function fdWriter(fd: number, options: { name?: string; fallback?: () => Writer } = {}): Writer {
  const name = options.name ?? `fd ${fd}`;
  const listeners: ((error: Error) => void)[] = [];
  let queue: { chunk: Uint8Array; done: Done }[] = [];
  let busy = false;
  let ending: Done | undefined;
  let failed: Error | undefined;
  let replacement: Writer | undefined;
  const flush = (): void => {
    if (busy) return;
    if (queue.length === 0) {
      if (ending) {
        const done = ending;
        ending = undefined;
        done(failed);
      }
      return;
    }
    busy = true;
    const batch = queue;
    queue = [];
    writev(fd, batch.map((q) => q.chunk), (error, written) => {
      busy = false;
      if (error && (error as NodeJS.ErrnoException).code === 'EAGAIN' && options.fallback) {
        // Non-blocking after all: hand this batch and the rest to the fallback, in order.
        const rest = [...partial(batch, written ?? 0), ...queue];
        queue = [];
        replacement ??= options.fallback();
        for (const l of listeners) replacement.onError(l);
        for (const q of rest) replacement.write(q.chunk, q.done);
        if (ending) replacement.end(ending);
        ending = undefined;
        return;
      }
      if (error) {
        failed = error;
        for (const q of [...batch, ...queue]) q.done(error);
        queue = [];
      } else if (written < total(batch)) {
        // A partial write: the rest goes first next time.
        queue = [...partial(batch, written), ...queue];
      } else {
        for (const q of batch) q.done();
      }
      flush();
    });
  };
  return {
    bytes: true,
    name,
    write(chunk, done) {
      if (replacement) return replacement.write(chunk, done);
      if (failed) return done(failed);
      queue.push({ chunk: chunk as Uint8Array, done });
      flush();
    },
    end(done) {
      if (replacement) return replacement.end(done);
      ending = done;
      flush();
    },
    onError(listener) {
      listeners.push(listener);
    },
  };
}

function total(batch: { chunk: Uint8Array }[]): number {
  let n = 0;
  for (const q of batch) n += q.chunk.length;
  return n;
}

/** What is left of a batch after `written` bytes: completed chunks are confirmed. */
function partial(batch: { chunk: Uint8Array; done: Done }[], written: number): { chunk: Uint8Array; done: Done }[] {
  const rest: { chunk: Uint8Array; done: Done }[] = [];
  for (const q of batch) {
    if (written >= q.chunk.length) {
      written -= q.chunk.length;
      q.done();
    } else {
      rest.push({ chunk: q.chunk.subarray(written), done: q.done });
      written = 0;
    }
  }
  return rest;
}

/** Standard output, left open at the end: written from the thread pool, or through process.stdout. */
export function stdoutWriter(): Writer {
  return fdWriter(1, { name: 'stdout', fallback: () => nodeWriter(process.stdout, { end: false, name: 'stdout' }) });
}

/** A Web WritableStream; its writer's `ready` and write promises carry the backpressure. */
export function webWriter(stream: WritableStream<unknown>, options: { bytes?: boolean; name?: string } = {}): Writer {
  const writer = stream.getWriter();
  const listeners: ((error: Error) => void)[] = [];
  writer.closed.catch((error: Error) => {
    for (const l of listeners) l(error);
  });
  return {
    bytes: options.bytes ?? true,
    name: options.name ?? 'web stream',
    write(chunk, done) {
      writer.write(chunk).then(() => done(), (error: Error) => done(error));
    },
    end(done) {
      writer.close().then(() => done(), (error: Error) => done(error));
    },
    onError(listener) {
      listeners.push(listener);
    },
  };
}
