// Readers: where an `input` process gets its data. A reader hands out at most
// what it is asked for, so a source never reads ahead of what the chain admits.
//
// Byte readers hand out fresh memory: the receiver owns the bytes and may keep
// a view of them (byte flowables are moved, not shared).
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { closeSync, fstatSync, openSync, read as readCallback, readSync, type Stats } from 'node:fs';
import type { Readable } from 'node:stream';
import { markFresh } from '../../engine/bytes.js';

export interface Reader {
  /** True: byte chunks (Uint8Array); false: arrays of values. */
  readonly bytes: boolean;
  /** Up to `max` bytes (or values), or null at the end. */
  read(max: number): Promise<Uint8Array | unknown[] | null>;
  /** Stops reading and frees the device; safe to call more than once. */
  close(): Promise<void>;
  /** Bytes expected in all, when known (regular files), for progress reports. */
  readonly size?: number;
  /** A name for messages (a path, "stdin"). */
  readonly name: string;
  /** The file it reads from its first byte on, when it reads one (a snapshot reopens it: freezer/devices.ts). */
  readonly path?: string;
  /**
   * Takes back a chunk this reader gave, whose memory nobody holds any more
   * (engine/bytes.ts, handBack), to read into it again. Optional: a reader
   * without it allocates every chunk.
   */
  reuse?(chunk: Uint8Array): void;
}

export class ReadError extends Error {
  override name = 'ReadError';
}

export interface FileOptions {
  /**
   * Read with blocking calls, which for a local file cost a third of a trip
   * through the thread pool. The reader still yields to the event loop every
   * megabyte, so timers and output callbacks run. For regular files only.
   */
  sync?: boolean;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** A system error as a short reason, as the usual tools put it. */
function reason(error: unknown): string {
  const code = (error as { code?: string }).code;
  return (code && REASONS[code]) ?? (error as Error).message;
}

/** Opens a file for reading now, so that a missing or unreadable file fails here. */
export async function openFile(path: string, options: FileOptions = {}): Promise<Reader> {
  if (options.sync) return openFileNow(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    throw new ReadError(`cannot read ${path}: ${reason(error)}`, { cause: error });
  }
  const stat = await fh.stat();
  if (stat.isDirectory()) {
    await fh.close();
    throw new ReadError(`cannot read ${path}: it is a directory`);
  }
  if (options.sync && stat.isFile()) return syncFileReader(fh, path, stat.size);
  return fileReader(fh, path, stat.isFile() ? stat.size : undefined);
}

/**
 * openFile with blocking calls: the file is opened and looked at at once, and
 * node:fs/promises is not needed (loading it is a noticeable part of a short
 * command's start). A file that is not a regular one (a pipe, a terminal) is
 * then read through the thread pool as usual.
 */
function openFileNow(path: string): Reader {
  let fd: number;
  let stat: Stats;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ReadError(`cannot read ${path}: ${reason(error)}`, { cause: error });
  }
  try {
    stat = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw new ReadError(`cannot read ${path}: ${reason(error)}`, { cause: error });
  }
  if (stat.isDirectory()) {
    closeSync(fd);
    throw new ReadError(`cannot read ${path}: it is a directory`);
  }
  const handle: FdHandle = {
    fd,
    close: () => {
      try {
        closeSync(fd);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    read: (buffer, offset, length) => new Promise((resolve, reject) => {
      readCallback(fd, buffer, offset, length, null, (error, bytesRead) => (error ? reject(error) : resolve({ bytesRead })));
    }),
  };
  if (stat.isFile()) return syncFileReader(handle, path, stat.size);
  return fileReader(handle, path, undefined);
}

/** What the readers below use of an open file: a FileHandle, or a plain descriptor made to look like one. */
interface FdHandle {
  readonly fd: number;
  read(buffer: Buffer, offset: number, length: number, position: null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Yield to the event loop after this many bytes of blocking reads. */
const YIELD_EVERY = 1 << 20;

/** Reads at least this large get memory of their own, which may be handed back and reused. */
const REUSE_FROM = 64 * 1024;
/** At most this many chunks are kept for reuse (the driver holds one while the next is read). */
const SPARES = 2;

/** A byte range [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
  /**
   * For a range that another thread may shorten while it is read (bin/part-table.ts):
   * how many of the bytes from `at` the reader may read now, at most `max`,
   * claimed for it; 0 at the end. Without it, the reader reads up to `end`.
   */
  claim?(at: number, max: number): number;
}

/**
 * Reads the byte range [start, end) of a regular file with blocking reads at
 * their positions (`pushback -j` gives each thread parts of one file). It
 * reuses its memory as the whole-file reader does.
 */
export function fileRangeReader(path: string, range: ByteRange): Reader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ReadError(`cannot read ${path}: ${reason(error)}`, { cause: error });
  }
  const handle: FdHandle = {
    fd,
    close: () => {
      closeSync(fd);
      return Promise.resolve();
    },
    read: () => Promise.reject(new Error('a range is read with blocking reads only')),
  };
  return syncFileReader(handle, path, range.end - range.start, range);
}

/** Without a range: the whole file from where its descriptor stands, and the reader names its path (snapshots reopen it). */
function syncFileReader(fh: FdHandle, name: string, size: number, range?: ByteRange): Reader {
  let at = range?.start ?? 0;
  let closed = false;
  let sinceYield = 0;
  // Memory taken back for reuse: the same pages again, already mapped, instead of
  // a new allocation per read (which costs about as much as the read itself).
  const spares: ArrayBuffer[] = [];
  const made = new WeakSet<ArrayBufferLike>();
  const memory = (max: number): Buffer => {
    if (max < REUSE_FROM) return Buffer.allocUnsafe(max);
    const spare = spares.pop();
    // A new view each time: a view's identity never stands for contents that have changed.
    if (spare !== undefined && spare.byteLength === max) return Buffer.from(spare, 0, max);
    const own = Buffer.allocUnsafeSlow(max);
    made.add(own.buffer);
    return own;
  };
  return {
    bytes: true,
    name,
    ...(range === undefined ? { path: name } : {}),
    size,
    async read(max) {
      if (closed || (range !== undefined && range.claim === undefined && at >= range.end)) return null;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (closed) return null;
      }
      const claimed = range?.claim?.(at, max);
      if (claimed === 0) return null;
      const buf = markFresh(memory(max)) as Buffer;
      let bytesRead: number;
      try {
        bytesRead = range === undefined ? readSync(fh.fd, buf, 0, max, null) : readSync(fh.fd, buf, 0, claimed ?? Math.min(max, range.end - at), at);
      } catch (error) {
        throw new ReadError(`cannot read ${name}: ${reason(error)}`, { cause: error });
      }
      at += bytesRead;
      sinceYield += bytesRead;
      if (bytesRead === 0) return null;
      return bytesRead < max ? buf.subarray(0, bytesRead) : buf;
    },
    reuse(chunk) {
      const memory = chunk.buffer;
      // Only memory this reader made for itself (never the shared pool of small reads).
      if (!made.has(memory) || spares.length >= SPARES || spares.includes(memory as ArrayBuffer)) return;
      spares.push(memory as ArrayBuffer);
    },
    async close() {
      if (closed) return;
      closed = true;
      spares.length = 0;
      await fh.close().catch(() => undefined);
    },
  };
}

/** Reads a file lazily: opened on the first read (its errors then fail the run). */
export function lazyFile(path: string, options: FileOptions = {}): Reader {
  let opened: Promise<Reader> | undefined;
  let closed = false;
  return {
    bytes: true,
    name: path,
    path,
    async read(max) {
      opened ??= openFile(path, options);
      return (await opened).read(max);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}

function fileReader(fh: FdHandle, name: string, size: number | undefined): Reader {
  let closed = false;
  return {
    bytes: true,
    name,
    path: name,
    size,
    async read(max) {
      if (closed) return null;
      const buf = markFresh(Buffer.allocUnsafe(max)) as Buffer;
      const { bytesRead } = await fh.read(buf, 0, max, null);
      if (bytesRead === 0) return null;
      return bytesRead < max ? buf.subarray(0, bytesRead) : buf;
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close().catch(() => undefined);
    },
  };
}

/** Several readers one after the other (like `cat a b`). */
export function concatReaders(readers: Reader[], name = readers.map((r) => r.name).join(' ')): Reader {
  let i = 0;
  const sizes = readers.map((r) => r.size);
  const size = sizes.every((s) => s !== undefined) ? (sizes as number[]).reduce((a, b) => a + b, 0) : undefined;
  const bytes = readers.every((r) => r.bytes);
  return {
    bytes,
    name,
    size,
    async read(max) {
      while (i < readers.length) {
        const got = await readers[i].read(max);
        if (got !== null) return got;
        await readers[i].close();
        i++;
      }
      return null;
    },
    reuse(chunk) {
      // The reader that made the chunk may have ended; a reader takes back only its own memory.
      readers[Math.min(i, readers.length - 1)]?.reuse?.(chunk);
    },
    async close() {
      for (const r of readers) await r.close();
    },
  };
}

/** Splits chunks that are larger than asked for, keeping the rest for the next read. */
class Leftover {
  private rest: Uint8Array | null = null;

  take(max: number): Uint8Array | null {
    const r = this.rest;
    if (!r) return null;
    if (r.length <= max) {
      this.rest = null;
      return r;
    }
    this.rest = r.subarray(max);
    return r.subarray(0, max);
  }

  keep(chunk: Uint8Array, max: number): Uint8Array {
    if (chunk.length <= max) return chunk;
    this.rest = chunk.subarray(max);
    return chunk.subarray(0, max);
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(`expected bytes (Uint8Array, Buffer or string), got ${chunk === null ? 'null' : typeof chunk}`);
}

/**
 * A Node Readable. It is pulled through its async iterator one chunk at a time,
 * so its own buffer (highWaterMark) fills and it stops reading its device while
 * the chain does not admit. Object-mode streams give values, others bytes.
 */
export function readableReader(r: Readable, name = 'readable'): Reader {
  const bytes = !r.readableObjectMode;
  // Made on the first read: until then the stream is not touched (stdin stays unread).
  let it: AsyncIterator<unknown> | undefined;
  const leftover = new Leftover();
  let closed = false;
  return {
    bytes,
    name,
    async read(max) {
      if (closed) return null;
      if (bytes) {
        const rest = leftover.take(max);
        if (rest) return rest;
      }
      it ??= r[Symbol.asyncIterator]();
      const { value, done } = await it.next();
      if (done) return null;
      return bytes ? leftover.keep(toBytes(value), max) : [value];
    },
    async close() {
      if (closed) return;
      closed = true;
      await it?.return?.();
    },
  };
}

/** A Web ReadableStream of bytes (or of values with `bytes: false`). */
export function webReader(stream: ReadableStream<unknown>, options: { bytes?: boolean; name?: string } = {}): Reader {
  const reader = stream.getReader();
  const bytes = options.bytes ?? true;
  const leftover = new Leftover();
  let closed = false;
  return {
    bytes,
    name: options.name ?? 'web stream',
    async read(max) {
      if (closed) return null;
      if (bytes) {
        const rest = leftover.take(max);
        if (rest) return rest;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      return bytes ? leftover.keep(toBytes(value), max) : [value];
    },
    async close() {
      if (closed) return;
      closed = true;
      await reader.cancel().catch(() => undefined);
    },
  };
}

/** Any iterable or async iterable: values, or byte chunks with `bytes: true`. */
export function iterableReader(source: AsyncIterable<unknown> | Iterable<unknown>, options: { bytes?: boolean; name?: string } = {}): Reader {
  const it: AsyncIterator<unknown> | Iterator<unknown> = Symbol.asyncIterator in source
    ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (source as Iterable<unknown>)[Symbol.iterator]();
  const bytes = options.bytes ?? false;
  const leftover = new Leftover();
  let closed = false;
  return {
    bytes,
    name: options.name ?? 'iterable',
    async read(max) {
      if (closed) return null;
      if (bytes) {
        const rest = leftover.take(max);
        if (rest) return rest;
        const { value, done } = await it.next();
        return done ? null : leftover.keep(toBytes(value), max);
      }
      // Values: as many as the iterator has, up to max, without waiting twice.
      const out: unknown[] = [];
      while (out.length < max) {
        const step = it.next();
        const { value, done } = step instanceof Promise ? await step : step;
        if (done) {
          closed = true;
          break;
        }
        out.push(value);
        if (step instanceof Promise) break;
      }
      return out.length > 0 ? out : null;
    },
    async close() {
      if (closed) return;
      closed = true;
      await it.return?.();
    },
  };
}
