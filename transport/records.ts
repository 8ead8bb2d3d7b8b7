// What travels on a ring, as the two ends see it: numbered chunks of one of
// four kinds, and one end-of-stream record with its reason.
//
// Numbers and bytes travel as typed runs: a run of float64 or int32 values is
// copied into the ring as such, with no per-element encoding, and bytes as
// bytes. Every other run goes through the value codec (codec.ts).
import { decodeValues, encodeValues } from './codec.js';
import { FrameKind } from './ring-layout.js';

/** A chunk as the reader receives it: numbered from 1 (see nextSeq), in the order written, each exactly once. */
export type Chunk =
  | { readonly kind: 'float64'; readonly seq: number; readonly data: Float64Array }
  | { readonly kind: 'int32'; readonly seq: number; readonly data: Int32Array }
  | { readonly kind: 'bytes'; readonly seq: number; readonly data: Uint8Array }
  | { readonly kind: 'values'; readonly seq: number; readonly data: unknown[] };

/** End of stream, with its reason. Nothing follows it. */
export type EndOfStream =
  | { readonly kind: 'end'; readonly reason: 'end' }
  | { readonly kind: 'end'; readonly reason: 'error'; readonly error: Error }
  /** The connection was reset: abandoned by the other side, or its host was lost. `detail` says which. */
  | { readonly kind: 'end'; readonly reason: 'reset'; readonly detail: string };

export type Received = Chunk | EndOfStream;

/** The number after `seq`: chunk numbers are uint32 and wrap after 2**32 - 1 (to 0, then 1, …). */
export function nextSeq(seq: number): number {
  return (seq + 1) >>> 0;
}

/** What a writer may send as one chunk. */
export type ChunkData = Float64Array | Int32Array | Uint8Array | readonly unknown[];

/** A chunk on its way out: its payload, and how much of it has been written. */
export interface OutgoingChunk {
  readonly frame: FrameKind;
  /** Bytes per unit of `units`: 8 for float64, 4 for int32, 1 for bytes and encoded values. */
  readonly unitBytes: number;
  /** Units in the whole chunk. */
  readonly units: number;
  /**
   * The payload: a typed array whose bytes are copied as they are, or (for a
   * plain array of numbers) the array, whose elements are stored one by one
   * into a typed view of the ring.
   */
  readonly source: Float64Array | Int32Array | Uint8Array | readonly number[];
  /** Units written so far. */
  sent: number;
}

/**
 * Classifies a chunk and, for a run of values, encodes it. A plain array of
 * numbers becomes an int32 run when every element is an int32 (and not -0,
 * which int32 cannot hold), a float64 run otherwise.
 */
export function outgoing(data: ChunkData, label = 'records'): OutgoingChunk {
  if (data instanceof Float64Array) return typed(FrameKind.Float64, 8, data);
  if (data instanceof Int32Array) return typed(FrameKind.Int32, 4, data);
  if (data instanceof Uint8Array) return typed(FrameKind.Bytes, 1, data);
  if (!Array.isArray(data)) {
    throw new TypeError(`a chunk is a Float64Array, an Int32Array, a Uint8Array or an array of values, not ${describe(data)}`);
  }
  const numbers = numericKind(data);
  if (numbers === FrameKind.Int32) return typed(FrameKind.Int32, 4, data as readonly number[]);
  if (numbers === FrameKind.Float64) return typed(FrameKind.Float64, 8, data as readonly number[]);
  return typed(FrameKind.Values, 1, encodeValues(data, label));
}

function typed(frame: FrameKind, unitBytes: number, source: OutgoingChunk['source']): OutgoingChunk {
  return { frame, unitBytes, units: source.length, source, sent: 0 };
}

function numericKind(xs: readonly unknown[], from = 0, to = xs.length): FrameKind | undefined {
  if (to <= from) return undefined;
  let ints = true;
  for (let i = from; i < to; i++) {
    const x = xs[i];
    if (typeof x !== 'number') return undefined; // a hole reads as undefined: no typed run
    if (ints && ((x | 0) !== x || Object.is(x, -0))) ints = false;
  }
  return ints ? FrameKind.Int32 : FrameKind.Float64;
}

/**
 * xs[from, from + n) as the typed run a writer would send it as (int32 when
 * every element is an int32 and not -0, float64 when every element is a
 * number), or undefined when it is not all numbers. A copy whose store lies
 * outside the heap: a chunk that waits for its answer costs the collector
 * nothing, and goes into a ring as one memcpy.
 */
export function numberRun(xs: readonly unknown[], from: number, n: number): Int32Array | Float64Array | undefined {
  const kind = numericKind(xs, from, from + n);
  if (kind === undefined) return undefined;
  const run = kind === FrameKind.Int32 ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) run[i] = xs[from + i] as number;
  return run;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return `an instance of ${(x as object).constructor?.name ?? 'an unknown class'}`;
  return `a ${typeof x}`;
}

/** The error of an error record, as it travels: what survives a thread boundary. */
interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
}

/** The payload of an error record. */
export function encodeError(error: unknown): Uint8Array {
  const e = error instanceof Error ? error : undefined;
  const record: ErrorRecord = { name: e?.name ?? 'Error', message: e ? e.message : String(error) };
  if (e?.stack !== undefined) record.stack = e.stack;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' || typeof code === 'number') record.code = code;
  return encodeValues([record], 'error');
}

/** The error an error record carries, rebuilt as an Error with the same name, message, stack and code. */
export function decodeError(bytes: Uint8Array): Error {
  const [record] = decodeValues(bytes) as [ErrorRecord];
  const e = new Error(record.message);
  e.name = record.name;
  if (record.stack !== undefined) e.stack = record.stack;
  if (record.code !== undefined) (e as Error & { code?: string | number }).code = record.code;
  return e;
}
