// The snapshot file: one versioned binary format.
//
//   offset  size  what
//   0       8     magic: 0x89 "PBSNAP" "\n" (the high byte and the newline catch
//                 a file mangled as text, as PNG's signature does)
//   8       2     format version, big-endian (this build writes 2 and reads
//                 1 and 2; version 2 added the realms' subscriptions, signal
//                 handlers and pending signals, and realm snapshots)
//   10      4     header length H, big-endian
//   14      H     header: the value codec's encoding of one object (engine,
//                 Node version, time, and every definition's name with the
//                 package@version that provides it)
//   14+H    4     body length B
//   18+H    B     body: the value codec's encoding of the frozen graph
//   18+H+B  4     CRC-32 of every byte before it
//
// The header comes first and is small, so a reader can say what a snapshot
// needs without decoding the graph. Reading checks everything (magic,
// version, lengths, checksum, both encodings) before anything is rebuilt, so
// a damaged file is refused whole: nothing is half-restored.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { CodecFormatError, decodeValues, encodeValues } from '../transport/codec.js';

/** The format version this build writes, and the newest it reads. */
export const SNAPSHOT_FORMAT_VERSION = 2;
/** The oldest format version this build reads. */
export const OLDEST_READABLE_VERSION = 1;

const MAGIC = Uint8Array.from([0x89, 0x50, 0x42, 0x53, 0x4e, 0x41, 0x50, 0x0a]);
const PREFIX = MAGIC.length + 2 + 4;

export interface DefinitionProvenance {
  /** The definition's name (`map`, `input`). */
  readonly name: string;
  /** The package@version that provides it, or `caller` for one the caller defined. */
  readonly package: string;
}

export interface SnapshotHeader {
  /** The engine that wrote the snapshot, `pushback-ts@0.1.0`. */
  readonly engine: string;
  /** Node's version: the value codec is V8's serializer, which reads what an older Node wrote. */
  readonly node: string;
  /** When it was written (ISO 8601). */
  readonly created: string;
  readonly definitions: readonly DefinitionProvenance[];
  /** How many processes the body holds. */
  readonly processes: number;
  /** What the program that took the snapshot asked to keep with it (the command line's words, for the CLI). */
  readonly application?: unknown;
  /** A realm snapshot: the label of the realm it was taken of (format version 2 on). */
  readonly realm?: string;
}

/** A snapshot file that cannot be read: which file, and what is wrong with it. */
export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
  constructor(readonly file: string, readonly problem: string, options?: ErrorOptions) {
    super(`snapshot ${file}: ${problem}`, options);
  }
}

/** The whole file as bytes. */
export function encodeSnapshot(header: SnapshotHeader, body: Uint8Array): Uint8Array {
  const head = encodeValues([header], 'snapshot header');
  const out = new Uint8Array(PREFIX + head.length + 4 + body.length + 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(MAGIC.length, SNAPSHOT_FORMAT_VERSION);
  view.setUint32(MAGIC.length + 2, head.length);
  out.set(head, PREFIX);
  let at = PREFIX + head.length;
  view.setUint32(at, body.length);
  out.set(body, at + 4);
  at += 4 + body.length;
  view.setUint32(at, crc32(out.subarray(0, at)));
  return out;
}

export interface DecodedSnapshot {
  readonly version: number;
  readonly header: SnapshotHeader;
  /** The body, still encoded: the caller decodes it (see graph.ts). */
  readonly body: Uint8Array;
}

/** Checks and splits a snapshot file's bytes; `file` names it in every refusal. */
export function decodeSnapshot(bytes: Uint8Array, file: string): DecodedSnapshot {
  const refuse = (problem: string, cause?: unknown): never => {
    throw new SnapshotFileError(file, problem, cause === undefined ? undefined : { cause });
  };
  if (bytes.length < MAGIC.length || !MAGIC.every((b, i) => bytes[i] === b)) {
    refuse(bytes.length === 0 ? 'the file is empty' : 'not a snapshot file (its first bytes are not the snapshot signature)');
  }
  if (bytes.length < PREFIX) refuse(`truncated: ${bytes.length} bytes, too short for the file's prefix`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(MAGIC.length);
  if (version > SNAPSHOT_FORMAT_VERSION) {
    refuse(`written in snapshot format version ${version}, newer than this build reads (versions ${OLDEST_READABLE_VERSION} to ${SNAPSHOT_FORMAT_VERSION}); restore it with a newer pushback-ts`);
  }
  if (version < OLDEST_READABLE_VERSION) {
    refuse(`written in snapshot format version ${version}, which this build does not read (versions ${OLDEST_READABLE_VERSION} to ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const headLength = view.getUint32(MAGIC.length + 2);
  const bodyAt = PREFIX + headLength + 4;
  if (bytes.length < bodyAt) refuse(`truncated: ${bytes.length} bytes, but its header alone needs ${bodyAt}`);
  const bodyLength = view.getUint32(bodyAt - 4);
  const expected = bodyAt + bodyLength + 4;
  if (bytes.length < expected) refuse(`truncated: ${bytes.length} bytes of the ${expected} its lengths promise`);
  if (bytes.length > expected) refuse(`corrupt: ${bytes.length - expected} bytes after the end of the snapshot`);
  const stored = view.getUint32(expected - 4);
  const actual = crc32(bytes.subarray(0, expected - 4));
  if (stored !== actual) refuse('corrupt: its checksum does not match its contents');
  let header: SnapshotHeader;
  try {
    header = decodeValues(bytes.subarray(PREFIX, PREFIX + headLength))[0] as SnapshotHeader;
  } catch (e) {
    return refuse(`corrupt header: ${e instanceof CodecFormatError || e instanceof Error ? e.message : String(e)}`, e);
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.definitions)) refuse('corrupt header: it does not describe a snapshot');
  return { version, header, body: bytes.subarray(bodyAt, bodyAt + bodyLength) };
}

/**
 * Writes the file whole or not at all: into a temporary file beside it, then
 * renamed over it. A process killed while writing a checkpoint leaves the
 * previous checkpoint intact. The file is not synced to the disk: a snapshot
 * survives its process being killed, not the machine losing power (the
 * output files whose lengths it records are not synced either, so syncing
 * the snapshot alone would promise nothing, and it cost seconds per
 * checkpoint on a busy disk).
 */
export async function writeSnapshotFile(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.partial`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
  } catch (e) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
  await handle.close();
  await rename(temporary, file);
}

/** Reads and checks a snapshot file; a missing or unreadable file is a SnapshotFileError too. */
export async function readSnapshotFile(file: string): Promise<DecodedSnapshot> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new SnapshotFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(e as Error).message})`, { cause: e });
  }
  return decodeSnapshot(bytes, file);
}
