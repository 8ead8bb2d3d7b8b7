// The reading end of a ring (ring-layout.ts). It hands out whole chunks, in
// order and each once (a chunk that came in pieces is put back together), then
// one end-of-stream record, which it keeps returning from then on.
//
// Reading a frame copies its payload out and frees its space at once, which is
// also what grants the writer more credit: by default all the space freed, or,
// with `grant: 'manual'`, only what the reader grants with grant(). The fill
// of the ring (bytes written and not yet freed) never exceeds its capacity.
import { decodeValues } from './codec.js';
import { type Chunk, type EndOfStream, type Received, decodeError, nextSeq } from './records.js';
import {
  CONTROL_BYTES, DATA_OFFSET, FRAME_ALIGN, FRAME_HEADER, FrameKind, GRANTED, LAST_PIECE, READER_CLOSED,
  READER_SIGNAL, RELEASED, RESET, STATE, WRITER_SIGNAL, WRITTEN, capacityOf, frameSize, resetReason, resetRing, signal, waitAsync,
} from './ring-layout.js';

export interface ReaderOptions {
  /** Labels the connection in errors. */
  name?: string;
  /** 'auto' (the default) grants all freed space back to the writer; 'manual' grants only what grant() gives. */
  grant?: 'auto' | 'manual';
  /**
   * Lend typed runs and bytes instead of copying them: a chunk that came in
   * one frame is handed out as a view of the ring, valid until the next call
   * to poll, next or close, which frees its space. Saves an allocation and a
   * copy per chunk (most of the cost of a large chunk) for a reader whose
   * downstream commits a chunk before asking for the next, as a flow does.
   */
  lend?: boolean;
}

/** The ring's contents break the protocol (a chunk out of order, an unknown frame). */
export class RingProtocolError extends Error {
  override name = 'RingProtocolError';
}

export class RingReader {
  readonly capacity: number;
  readonly name: string;
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly autoGrant: boolean;
  /** Where the next frame starts (free-running, as WRITTEN). */
  private position: number;
  /** The number of the last chunk handed out (uint32, wrapping: see nextSeq). */
  private lastSeq = 0;
  /** Pieces of a chunk (or of an error record) still arriving. */
  private pieces: Uint8Array[] = [];
  private piecesKind: FrameKind | undefined;
  private finalRecord: EndOfStream | undefined;
  private readonly lend: boolean;
  /** Bytes of a lent frame, freed on the next call. */
  private lent = 0;

  constructor(readonly sab: SharedArrayBuffer, options: ReaderOptions = {}) {
    this.capacity = capacityOf(sab);
    this.mask = this.capacity - 1;
    this.name = options.name ?? 'ring';
    this.autoGrant = (options.grant ?? 'auto') === 'auto';
    this.lend = options.lend ?? false;
    this.control = new Int32Array(sab, 0, CONTROL_BYTES / 4);
    this.bytes = new Uint8Array(sab, DATA_OFFSET, this.capacity);
    this.words = new Int32Array(sab, DATA_OFFSET, this.capacity / 4);
    this.position = Atomics.load(this.control, RELEASED);
  }

  /** Bytes written and not yet read: never more than the capacity. */
  fill(): number {
    return (Atomics.load(this.control, WRITTEN) - Atomics.load(this.control, RELEASED)) >>> 0;
  }

  /**
   * Grants the writer `bytes` more credit (manual mode), up to the free space.
   * Rounded down to whole frame slots (16 bytes). Returns the credit granted.
   */
  grant(bytes: number): number {
    const granted = Atomics.load(this.control, GRANTED);
    const limit = (this.position + this.capacity) | 0;
    const free = (limit - granted) >>> 0;
    const add = Math.min(free, Math.floor(bytes / FRAME_ALIGN) * FRAME_ALIGN);
    if (add > 0) {
      Atomics.store(this.control, GRANTED, (granted + add) | 0);
      signal(this.control, WRITER_SIGNAL);
    }
    return add;
  }

  /** The next chunk or the end of stream if one is complete in the ring now; undefined if not. */
  poll(): Received | undefined {
    if (this.lent > 0) {
      this.release(this.lent);
      this.lent = 0;
    }
    if (this.finalRecord) return this.finalRecord;
    for (;;) {
      if (Atomics.load(this.control, STATE) & RESET) return this.finish({ kind: 'end', reason: 'reset', detail: resetReason(this.sab) });
      const written = Atomics.load(this.control, WRITTEN);
      if (written === this.position) return undefined;
      const at = this.position & this.mask;
      const w = at >> 2;
      const kind = (this.words[w] & 0xff) as FrameKind;
      const flags = this.words[w] >>> 8;
      const length = this.words[w + 1];
      const seq = this.words[w + 2] >>> 0;
      if (kind === FrameKind.Pad) {
        this.release(this.capacity - at);
        continue;
      }
      if (kind === FrameKind.End) {
        this.release(FRAME_HEADER);
        return this.finish({ kind: 'end', reason: 'end' });
      }
      if (kind !== FrameKind.Float64 && kind !== FrameKind.Int32 && kind !== FrameKind.Bytes && kind !== FrameKind.Values && kind !== FrameKind.Error) {
        throw new RingProtocolError(`${this.name}: unknown frame kind ${kind} at byte ${at}`);
      }
      if (this.piecesKind !== undefined && this.piecesKind !== kind) {
        throw new RingProtocolError(`${this.name}: a frame of kind ${kind} inside a chunk of kind ${this.piecesKind}`);
      }
      if (length < 0 || at + FRAME_HEADER + length > this.capacity) {
        throw new RingProtocolError(`${this.name}: a frame at byte ${at} claims ${length} bytes, past the end of the ring`);
      }
      if (kind !== FrameKind.Error && seq !== nextSeq(this.lastSeq)) {
        throw new RingProtocolError(`${this.name}: chunk ${seq} arrived after chunk ${this.lastSeq}`);
      }
      if (this.lend && flags & LAST_PIECE && this.pieces.length === 0 && kind !== FrameKind.Values && kind !== FrameKind.Error) {
        this.lent = frameSize(length);
        this.lastSeq = seq;
        return chunkOf(kind, seq, new Uint8Array(this.sab, DATA_OFFSET + at + FRAME_HEADER, length));
      }
      // Copied out before the space is freed: the writer may reuse it at once.
      const payload = this.bytes.slice(at + FRAME_HEADER, at + FRAME_HEADER + length);
      this.release(frameSize(length));
      this.pieces.push(payload);
      this.piecesKind = kind;
      if ((flags & LAST_PIECE) === 0) continue;
      const whole = join(this.pieces);
      this.pieces = [];
      this.piecesKind = undefined;
      if (kind === FrameKind.Error) return this.finish({ kind: 'end', reason: 'error', error: decodeError(whole) });
      this.lastSeq = seq;
      return chunkOf(kind, seq, whole);
    }
  }

  private finish(record: EndOfStream): EndOfStream {
    this.finalRecord = record;
    this.pieces = [];
    return record;
  }

  private release(size: number): void {
    this.position = (this.position + size) | 0;
    Atomics.store(this.control, RELEASED, this.position);
    if (this.autoGrant) Atomics.store(this.control, GRANTED, (this.position + this.capacity) | 0);
    signal(this.control, WRITER_SIGNAL);
  }

  /** The next chunk or the end of stream, waiting for it without blocking the thread. */
  async next(): Promise<Received> {
    for (;;) {
      const s = Atomics.load(this.control, READER_SIGNAL);
      const r = this.poll();
      if (r) return r;
      const waited = waitAsync(this.control, READER_SIGNAL, s);
      if (waited.async) await waited.value;
    }
  }

  /** next(), blocking (workers only). */
  nextSync(): Received {
    for (;;) {
      const s = Atomics.load(this.control, READER_SIGNAL);
      const r = this.poll();
      if (r) return r;
      Atomics.wait(this.control, READER_SIGNAL, s);
    }
  }

  /**
   * Closes the reader's side (its half-close): it reads nothing more, the
   * writer's writes are refused from now on, and chunks not yet read are dropped.
   */
  close(): void {
    if (this.lent > 0) {
      this.release(this.lent);
      this.lent = 0;
    }
    Atomics.or(this.control, STATE, READER_CLOSED);
    this.finish({ kind: 'end', reason: 'end' });
    signal(this.control, WRITER_SIGNAL);
  }

  /** Resets the connection: both ends stop at once with reason `reset` and this detail. */
  reset(detail = `the reader of ${this.name} reset it`): void {
    resetRing(this.sab, detail);
  }
}

function join(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  let length = 0;
  for (const p of pieces) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function chunkOf(kind: FrameKind, seq: number, payload: Uint8Array): Chunk {
  switch (kind) {
    case FrameKind.Float64:
      return { kind: 'float64', seq, data: new Float64Array(payload.buffer, payload.byteOffset, payload.length / 8) };
    case FrameKind.Int32:
      return { kind: 'int32', seq, data: new Int32Array(payload.buffer, payload.byteOffset, payload.length / 4) };
    case FrameKind.Bytes:
      return { kind: 'bytes', seq, data: payload };
    default:
      return { kind: 'values', seq, data: decodeValues(payload) };
  }
}
