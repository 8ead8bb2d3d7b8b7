// Local resources in a snapshot. An open file cannot be saved, but how to open
// it again can: these are the rehydration instructions. A file reader becomes
// "open this path at this offset, expecting this size and modification time";
// a file writer "write this path from this offset on"; anything else (a socket,
// stdin, a stream) is gone, and its process ends with `not-restored`.
//
// The offsets come from the process's state, not from the device: `read` of an
// input counts what reached its state (a read still on its way when the
// snapshot was taken is read again), and `written` of an output counts what
// the device confirmed (the snapshot waits until nothing is unconfirmed: see
// quiesce.ts).
import { createWriteStream, statSync, truncateSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { markFresh } from '../engine/bytes.js';
import type { Reader } from '../processes/sources/readers.js';
import { nodeWriter, type Writer } from '../processes/sinks/writers.js';
import type { FrozenParam } from './graph.js';

/** A resource a snapshot could not bring back; its process ends with this as the reason. */
export class NotRestoredError extends Error {
  override name = 'NotRestoredError';
  /** The end-of-stream reason the issue names: the stream was cut by the restore. */
  readonly reason = 'not-restored';
}

export function isReader(x: unknown): x is Reader {
  const r = x as Reader | null;
  return typeof r === 'object' && r !== null && typeof r.read === 'function' && typeof r.close === 'function' && typeof r.bytes === 'boolean';
}

export function isWriter(x: unknown): x is Writer {
  const w = x as Writer | null;
  return typeof w === 'object' && w !== null && typeof w.write === 'function' && typeof w.end === 'function' && typeof w.onError === 'function';
}

/** The instruction for a reader that has handed `offset` bytes to its process. */
export function freezeReader(reader: Reader, offset: number): FrozenParam {
  if (reader.path === undefined) return { kind: 'gone', what: `the reader ${reader.name}` };
  try {
    const s = statSync(reader.path);
    return { kind: 'file-reader', path: reader.path, offset, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    // Not there now: restore finds it missing too, unless it appears meanwhile (then it is a changed file).
    return { kind: 'file-reader', path: reader.path, offset, size: -1, mtimeMs: -1 };
  }
}

/** The instruction for a writer whose device confirmed `offset` bytes. */
export function freezeWriter(writer: Writer, offset: number): FrozenParam {
  if (writer.path === undefined) return { kind: 'gone', what: `the writer ${writer.name}` };
  return { kind: 'file-writer', path: writer.path, offset };
}

function describe(size: number, mtimeMs: number): string {
  return size < 0 ? 'missing' : `${size} bytes, modified ${new Date(mtimeMs).toISOString()}`;
}

/** Opens the file again at its offset, or says why not (missing, changed): that error ends the handle. */
export async function rehydrateReader(param: Extract<FrozenParam, { kind: 'file-reader' }>): Promise<Reader | NotRestoredError> {
  const { path, offset, size, mtimeMs } = param;
  let now;
  try {
    now = await stat(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return new NotRestoredError(`cannot reopen ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message} (it had been read up to byte ${offset})`);
  }
  if (now.size !== size || now.mtimeMs !== mtimeMs) {
    return new NotRestoredError(`cannot reopen ${path}: it changed since the snapshot (then ${describe(size, mtimeMs)}; now ${describe(now.size, now.mtimeMs)})`);
  }
  return fileReaderAt(path, offset, size);
}

/** A file reader that starts at `offset`; it has a path, so a restored graph can be snapshotted again. */
function fileReaderAt(path: string, offset: number, size: number): Reader {
  let position = offset;
  let handle: Promise<import('node:fs/promises').FileHandle> | undefined;
  let closed = false;
  return {
    bytes: true,
    name: path,
    path,
    size,
    async read(max) {
      if (closed) return null;
      const fh = await (handle ??= open(path, 'r'));
      const buf = markFresh(Buffer.allocUnsafe(max)) as Buffer;
      const { bytesRead } = await fh.read(buf, 0, max, position);
      position += bytesRead;
      if (bytesRead === 0) return null;
      return bytesRead < max ? buf.subarray(0, bytesRead) : buf;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (handle) await (await handle.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}

/** A writer checked and ready to be opened: opening it cuts the file (after every check of the restore passed). */
export interface PendingWriter {
  open(): Writer;
}

/**
 * Checks that the file can be written again from its offset. What it holds
 * past the offset was written after the snapshot and is cut when the writer
 * is opened (it is written again). A file shorter than the offset lost what
 * the snapshot counts as written: that is an error, not a quiet gap.
 */
export async function rehydrateWriter(param: Extract<FrozenParam, { kind: 'file-writer' }>): Promise<PendingWriter | NotRestoredError> {
  const { path, offset } = param;
  let now;
  try {
    now = await stat(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return new NotRestoredError(`cannot reopen ${path} for writing: ${code === 'ENOENT' ? 'no such file' : (e as Error).message} (${offset} bytes had been written)`);
  }
  if (now.size < offset) {
    return new NotRestoredError(`cannot reopen ${path} for writing: it holds ${now.size} bytes, fewer than the ${offset} written when the snapshot was taken`);
  }
  return {
    open() {
      if (now.size > offset) truncateSync(path, offset);
      return { ...nodeWriter(createWriteStream(path, { flags: 'r+', start: offset }), { name: path }), path };
    },
  };
}
