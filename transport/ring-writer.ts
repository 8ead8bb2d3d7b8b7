// The writing end of a ring (ring-layout.ts). Negotiated IO maps onto it as
// credit: `admittance(chunk)` is how much of the chunk fits in the space the
// reader has granted, and `flow(chunk, n)` commits exactly n units of it as
// one frame, never more. A chunk larger than the credit (or than the whole
// ring) goes in several frames, pieces of one numbered chunk, and the reader
// puts it back together: it is split, never truncated.
//
// Every wait has two forms: a promise (`Atomics.waitAsync`), for the thread
// that runs an event loop, and a blocking one (`Atomics.wait`) for a worker
// with nothing else to do. The main thread of Node may not block, so the
// blocking forms are for workers only.
import { type ChunkData, type OutgoingChunk, encodeError, nextSeq, outgoing } from './records.js';
import {
  CONTROL_BYTES, DATA_OFFSET, FINISHED, FRAME_ALIGN, FRAME_HEADER, FrameKind, GRANTED, LAST_PIECE, READER_CLOSED,
  READER_SIGNAL, RESET, STATE, WRITER_SIGNAL, WRITTEN, capacityOf, frameSize, resetReason, resetRing, signal, waitAsync,
} from './ring-layout.js';

/** A write larger than the credit the reader has granted. */
export class CreditExceededError extends RangeError {
  override name = 'CreditExceededError';
}

/** A write on a connection that can take no more: the reader closed its side, the writer ended, or it was reset. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
  constructor(message: string, readonly reason: 'closed' | 'ended' | 'reset') {
    super(message);
  }
}

/** Where the writer stands: still writing, or why it can write no more. */
export type WriterState = 'open' | 'closed' | 'ended' | 'reset';

const unitNames: Record<number, string> = { 8: 'float64 values', 4: 'int32 values', 1: 'bytes' };

export class RingWriter {
  readonly capacity: number;
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly float64s: Float64Array;
  private readonly mask: number;
  /** The last chunk number used; chunks are numbered from 1. */
  private seq = 0;
  /** A chunk begun but not finished: no other may start until it is. */
  private current: OutgoingChunk | undefined;
  private ended = false;

  /** `name` labels the connection in errors (for example the process and port it serves). */
  constructor(readonly sab: SharedArrayBuffer, readonly name = 'ring') {
    this.capacity = capacityOf(sab);
    this.mask = this.capacity - 1;
    this.control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.bytes = new Uint8Array(sab, DATA_OFFSET, this.capacity);
    this.words = new Int32Array(sab, DATA_OFFSET, this.capacity / 4);
    this.float64s = new Float64Array(sab, DATA_OFFSET, this.capacity / 8);
  }

  state(): WriterState {
    const flags = Atomics.load(this.control, STATE);
    if (flags & RESET) return 'reset';
    if (this.ended) return 'ended';
    if (flags & READER_CLOSED) return 'closed';
    return 'open';
  }

  /** Bytes of credit: how far the writer may go beyond what it has written. */
  credit(): number {
    if (this.state() !== 'open') return 0;
    return (Atomics.load(this.control, GRANTED) - Atomics.load(this.control, WRITTEN)) >>> 0;
  }

  /**
   * The largest payload one frame can take now. A frame never wraps around the
   * end of the data area: if the tail is too short, a pad frame fills it and
   * the frame goes at the start, which the credit must then cover as well.
   * Negative when not even an empty frame fits.
   */
  private room(): number {
    const credit = this.credit();
    const tail = this.capacity - (Atomics.load(this.control, WRITTEN) & this.mask);
    if (credit < tail) return credit - FRAME_HEADER;
    return Math.max(tail - FRAME_HEADER, credit - tail - FRAME_HEADER);
  }

  /** Classifies (and for values, encodes) a chunk for admittance and flow. */
  prepare(data: ChunkData): OutgoingChunk {
    return outgoing(data, `${this.name} chunk ${nextSeq(this.seq)}`);
  }

  /** Units of `chunk`'s remainder (elements, or bytes) that one flow may commit now. */
  admittance(chunk: OutgoingChunk): number {
    const room = this.room();
    if (room <= 0) return 0;
    return Math.min(chunk.units - chunk.sent, Math.floor(room / chunk.unitBytes));
  }

  /**
   * Commits exactly `n` units of `chunk`'s remainder as one frame. Refuses a
   * write larger than the credit, and a write when the connection can take no
   * more. An empty chunk is written with n = 0 once an empty frame fits.
   */
  flow(chunk: OutgoingChunk, n: number): void {
    this.checkOpen();
    const left = chunk.units - chunk.sent;
    if (!Number.isInteger(n) || n < 0 || n > left || (n === 0 && left > 0)) {
      throw new RangeError(`${this.name}: cannot write ${n} units of a chunk with ${left} left`);
    }
    const starting = chunk !== this.current;
    if (starting) {
      if (this.current) throw new Error(`${this.name}: chunk ${this.seq} is not finished; finish it before starting another`);
      if (chunk.sent !== 0) throw new Error(`${this.name}: this chunk was begun on another writer`);
    }
    const seq = starting ? nextSeq(this.seq) : this.seq;
    const last = chunk.sent + n === chunk.units;
    this.writeFrame(chunk.frame, n * chunk.unitBytes, last ? LAST_PIECE : 0, seq, (at) => this.copyIn(chunk, at, n), () => {
      const what = unitNames[chunk.unitBytes] ?? 'units';
      return `${n} ${what} (a frame of ${frameSize(n * chunk.unitBytes)} bytes)`;
    });
    // Only a write that happened changes the writer: a refused one leaves it as it was.
    this.seq = seq;
    this.current = last ? undefined : chunk;
    chunk.sent += n;
  }

  private checkOpen(): void {
    const state = this.state();
    if (state === 'open') return;
    if (state === 'reset') throw new ConnectionClosedError(`${this.name} was reset: ${resetReason(this.sab)}`, 'reset');
    if (state === 'ended') throw new ConnectionClosedError(`${this.name} has ended; nothing more may be written`, 'ended');
    throw new ConnectionClosedError(`the reader of ${this.name} closed its side; nothing more may be written`, 'closed');
  }

  private writeFrame(kind: FrameKind, payload: number, flags: number, seq: number, fill: (at: number) => void, describe: () => string): void {
    const written = Atomics.load(this.control, WRITTEN);
    const credit = this.credit();
    const size = frameSize(payload);
    const at = written & this.mask;
    const tail = this.capacity - at;
    let start = written;
    let pad = 0;
    if (size > tail || size > credit) {
      // Not here: after a pad frame over the tail, from the start.
      if (tail + size > credit || size > this.capacity) {
        throw new CreditExceededError(`${this.name}: a write of ${describe()} exceeds the ${credit} bytes of credit the reader has granted`);
      }
      pad = tail;
      start = (written + tail) >>> 0;
      this.header(at, FrameKind.Pad, 0, tail - FRAME_HEADER, 0);
    }
    const offset = start & this.mask;
    fill(offset + FRAME_HEADER);
    this.header(offset, kind, flags, payload, seq);
    // Publishing the new position is what hands the frame to the reader: the
    // stores above happen before it (Atomics are sequentially consistent).
    Atomics.store(this.control, WRITTEN, (written + pad + size) | 0);
    signal(this.control, READER_SIGNAL);
  }

  private header(offset: number, kind: FrameKind, flags: number, payload: number, seq: number): void {
    const w = offset >> 2;
    this.words[w] = kind | (flags << 8);
    this.words[w + 1] = payload;
    this.words[w + 2] = seq;
    this.words[w + 3] = 0;
  }

  // ------------------------------------------------------------------ ending

  /** Ends the stream (the writer's half-close): the reader sees reason `end` after every chunk written. */
  async end(): Promise<void> {
    await this.finish(FrameKind.End, new Uint8Array(0), async (need) => this.writable(need));
  }

  /** Ends the stream with an error: the reader sees reason `error` and the error (name, message, stack, code). */
  async error(error: unknown): Promise<void> {
    await this.finish(FrameKind.Error, encodeError(error), async (need) => this.writable(need));
  }

  /** end(), blocking (workers only). */
  endSync(): void {
    void this.finish(FrameKind.End, new Uint8Array(0), (need) => this.writableSync(need));
  }

  /** error(), blocking (workers only). */
  errorSync(error: unknown): void {
    void this.finish(FrameKind.Error, encodeError(error), (need) => this.writableSync(need));
  }

  /**
   * Writes the last record, in pieces if it is larger than the credit. With a
   * blocking wait this runs to the end synchronously (the promise it returns
   * is already settled); with an asynchronous one it awaits credit.
   */
  private finish(kind: FrameKind, payload: Uint8Array, wait: (need: number) => Promise<void> | void): Promise<void> | void {
    // A reader that closed its side wants nothing more, not even the end.
    if (this.state() === 'closed') {
      this.ended = true;
      return;
    }
    this.checkOpen();
    if (this.current) throw new Error(`${this.name}: chunk ${this.seq} is not finished; finish it before ending the stream`);
    const step = (sent: number): Promise<void> | void => {
      for (;;) {
        this.checkOpen();
        const room = this.room();
        // An empty record needs an empty frame; a piece of one, room for something.
        const need = payload.length - sent > 0 ? FRAME_ALIGN : 0;
        if (room >= need) {
          const n = Math.min(payload.length - sent, room);
          const last = sent + n === payload.length;
          this.writeFrame(kind, n, last ? LAST_PIECE : 0, 0, (at) => this.bytes.set(payload.subarray(sent, sent + n), at), () => `${n} bytes`);
          sent += n;
          if (last) {
            this.ended = true;
            Atomics.or(this.control, STATE, FINISHED);
            return;
          }
          continue;
        }
        const waited = wait(need);
        if (waited) return waited.then(() => step(sent));
      }
    };
    return step(0);
  }

  /**
   * Resets the connection: both ends stop at once with reason `reset` and
   * this detail (unread chunks are dropped).
   */
  reset(detail = `the writer of ${this.name} reset it`): void {
    resetRing(this.sab, detail);
  }

  // ------------------------------------------------------------------ waiting

  /**
   * Resolves once a frame with `payload` bytes fits (by default: once anything
   * can be written), or the connection can take no more.
   */
  async writable(payload = 1): Promise<void> {
    for (;;) {
      const s = Atomics.load(this.control, WRITER_SIGNAL);
      if (this.state() !== 'open' || this.room() >= payload) return;
      const r = waitAsync(this.control, WRITER_SIGNAL, s);
      if (r.async) await r.value;
    }
  }

  /** writable(), blocking (workers only). */
  writableSync(payload = 1): void {
    for (;;) {
      const s = Atomics.load(this.control, WRITER_SIGNAL);
      if (this.state() !== 'open' || this.room() >= payload) return;
      Atomics.wait(this.control, WRITER_SIGNAL, s);
    }
  }

  /** Sends one chunk whole, waiting for credit as it goes; a chunk larger than the ring goes in pieces. */
  async send(data: ChunkData): Promise<void> {
    const chunk = this.prepare(data);
    for (;;) {
      const wait = this.piece(chunk);
      if (wait === true) {
        if (chunk.sent === chunk.units) return;
      } else {
        await this.writable(wait);
      }
    }
  }

  /** send(), blocking (workers only). */
  sendSync(data: ChunkData): void {
    const chunk = this.prepare(data);
    for (;;) {
      const wait = this.piece(chunk);
      if (wait === true) {
        if (chunk.sent === chunk.units) return;
      } else {
        this.writableSync(wait);
      }
    }
  }

  /**
   * One step of send: writes the next piece of the chunk if a worthwhile one
   * fits (and returns true), or returns the payload bytes to wait for.
   * Worthwhile is the rest of the chunk or a quarter of the ring, whichever is
   * less: a writer that outruns its reader then sleeps until a quarter of the
   * ring is free and fills it in a few large frames, rather than waking for
   * every frame the reader frees and writing slivers.
   */
  private piece(chunk: OutgoingChunk): true | number {
    this.checkOpen();
    const left = chunk.units - chunk.sent;
    const want = Math.min(left, Math.max(1, Math.floor(this.capacity / 4 / chunk.unitBytes)));
    const n = this.admittance(chunk);
    if (left === 0 ? this.room() >= 0 : n >= want) {
      this.flow(chunk, n);
      return true;
    }
    return want * chunk.unitBytes;
  }

  /** Copies n units of the chunk's remainder into the data area at byte offset `at`. */
  private copyIn(chunk: OutgoingChunk, at: number, n: number): void {
    const from = chunk.sent;
    const source = chunk.source;
    if (chunk.frame === FrameKind.Float64) {
      const to = at >> 3;
      if (source instanceof Float64Array) this.float64s.set(source.subarray(from, from + n), to);
      else for (let i = 0; i < n; i++) this.float64s[to + i] = (source as readonly number[])[from + i];
    } else if (chunk.frame === FrameKind.Int32) {
      const to = at >> 2;
      if (source instanceof Int32Array) this.words.set(source.subarray(from, from + n), to);
      else for (let i = 0; i < n; i++) this.words[to + i] = (source as readonly number[])[from + i];
    } else {
      this.bytes.set((source as Uint8Array).subarray(from, from + n), at);
    }
  }
}
