// The memory of one single-producer single-consumer ring: one direction of a
// connection between two threads. Both ends see the same SharedArrayBuffer;
// this module is what they agree on about it.
//
//   bytes 0..63     control words (Int32), listed below
//   bytes 64..511   the reason for a reset, UTF-8, length in RESET_REASON_LENGTH
//   bytes 512..     the data area: frames, each a 16-byte header and a payload
//                   padded to 16 bytes, never wrapping around the end (a pad
//                   frame fills the tail instead)
//
// Positions are free-running byte counts (uint32, wrapping), so "how much is
// in the ring" is always `written - released` without a full/empty ambiguity.
// The capacity is a power of two so that a position modulo the capacity stays
// right across the uint32 wrap.

/** Bytes the writer has committed (free-running). Written by the writer only. */
export const WRITTEN = 0;
/** Bytes the reader has consumed and freed (free-running). Written by the reader only. */
export const RELEASED = 1;
/** The writer may commit up to this position: the credit the reader has granted. */
export const GRANTED = 2;
/** State flags, below. */
export const STATE = 3;
/** Bumped on everything the reader may be waiting for (a commit, a reset). */
export const READER_SIGNAL = 4;
/** Bumped on everything the writer may be waiting for (a grant, a close, a reset). */
export const WRITER_SIGNAL = 5;
/** Length in bytes of the reset reason. */
export const RESET_REASON_LENGTH = 6;

/** The writer has committed its last record (end of stream or error). */
export const FINISHED = 1;
/** The reader has closed its side: it reads nothing more, and writes are refused. */
export const READER_CLOSED = 2;
/** The connection was reset (abandoned by one side, or its host was lost); both sides stop at once. */
export const RESET = 4;

export const CONTROL_BYTES = 64;
export const REASON_OFFSET = 64;
export const REASON_CAPACITY = 448;
export const DATA_OFFSET = 512;

export const FRAME_HEADER = 16;
export const FRAME_ALIGN = 16;

/** What a frame holds. */
export const FrameKind = {
  /** Fills the tail of the data area; the reader skips to the start. */
  Pad: 0,
  Float64: 1,
  Int32: 2,
  Bytes: 3,
  /** A run of values in the value codec's encoding (codec.ts). */
  Values: 4,
  /** End of stream. No payload. */
  End: 5,
  /** End of stream with an error; the payload is the error, in the value codec's encoding. */
  Error: 6,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Frame flag: this frame is the last piece of its chunk (a chunk larger than the credit comes in several). */
export const LAST_PIECE = 1;

export const MIN_CAPACITY = 256;
export const MAX_CAPACITY = 2 ** 30;

/**
 * The shared memory for one direction of a connection, with room for
 * `capacity` bytes of frames. The writer starts with `credit` bytes granted:
 * all the space by default; a reader that grants by hand (RingReader's
 * `grant: 'manual'`) may start it lower, down to 0.
 */
export function createRing(capacity = 1 << 20, credit = capacity): SharedArrayBuffer {
  if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY} bytes, not ${capacity}`);
  }
  if (!Number.isInteger(credit) || credit < 0 || credit > capacity || credit % FRAME_ALIGN !== 0) {
    throw new RangeError(`a ring's first credit is a multiple of ${FRAME_ALIGN} from 0 to its capacity ${capacity}, not ${credit}`);
  }
  const sab = new SharedArrayBuffer(DATA_OFFSET + capacity);
  const control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
  Atomics.store(control, GRANTED, credit);
  return sab;
}

/** The data capacity of a ring's memory. */
export function capacityOf(sab: SharedArrayBuffer): number {
  const capacity = sab.byteLength - DATA_OFFSET;
  if (capacity < MIN_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`not a ring: a SharedArrayBuffer of ${sab.byteLength} bytes`);
  }
  return capacity;
}

/** Bytes a frame with `payload` bytes takes in the data area. */
export function frameSize(payload: number): number {
  return FRAME_HEADER + ((payload + FRAME_ALIGN - 1) & ~(FRAME_ALIGN - 1));
}

/** Sets one of the two signal words and wakes whoever waits on it. */
export function signal(control: Int32Array, which: typeof READER_SIGNAL | typeof WRITER_SIGNAL): void {
  Atomics.add(control, which, 1);
  Atomics.notify(control, which);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Resets the connection that this ring carries: both ends stop at once and
 * report `reason` (unread data is dropped, as with a TCP reset). Safe to call
 * from any thread, including a third one that supervises the two ends. A ring
 * already reset keeps its first reason.
 */
export function resetRing(sab: SharedArrayBuffer, reason: string): void {
  const control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
  // Claim the reset by its reason's length word, so that two threads
  // resetting at once write one reason; the flag goes up only once the reason
  // is complete, so whoever sees the flag reads the whole reason.
  if (Atomics.compareExchange(control, RESET_REASON_LENGTH, 0, -1) === 0) {
    const bytes = encoder.encode(reason || 'reset').subarray(0, REASON_CAPACITY);
    new Uint8Array(sab, REASON_OFFSET, REASON_CAPACITY).set(bytes);
    Atomics.store(control, RESET_REASON_LENGTH, bytes.length);
    Atomics.or(control, STATE, RESET);
  }
  signal(control, READER_SIGNAL);
  signal(control, WRITER_SIGNAL);
}

/** The reason the ring was reset with ('' while it is not reset). */
export function resetReason(sab: SharedArrayBuffer): string {
  const control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
  if ((Atomics.load(control, STATE) & RESET) === 0) return '';
  const length = Atomics.load(control, RESET_REASON_LENGTH);
  return decoder.decode(new Uint8Array(sab, REASON_OFFSET, length).slice());
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

/**
 * `Atomics.waitAsync`: in Node 20's V8, but in TypeScript's library only from
 * ES2024 on, which this project does not target yet.
 */
export const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}).waitAsync;
