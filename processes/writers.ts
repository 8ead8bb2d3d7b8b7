// Writers: where an `output` process puts its data. A writer reports each
// chunk's completion through a callback; the output process counts what is in
// flight and admits no more than its high-water mark, so a slow device holds
// back the whole chain instead of filling memory.
import { createWriteStream } from 'node:fs';
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
}

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
  return {
    bytes: !w.writableObjectMode,
    name: options.name ?? 'writable',
    write(chunk, done) {
      if (w.destroyed || w.writableEnded) {
        done(Object.assign(new Error(`${options.name ?? 'writable'} is closed`), { code: 'ERR_STREAM_DESTROYED' }));
        return;
      }
      w.write(chunk, done);
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
  return nodeWriter(createWriteStream(path), { name: path });
}

/** process.stdout, left open at the end. */
export function stdoutWriter(): Writer {
  return nodeWriter(process.stdout, { end: false, name: 'stdout' });
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
