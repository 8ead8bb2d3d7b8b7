// thread-link: one connection between two IO containers on two threads (the
// main thread and a worker, or two workers), through the seam of
// docs/transports.md, as the loopback does it within one thread:
//
//   thread A                                         thread B
//   ... -> map --in--> [ThreadWriter stand-in] ==ring==> [ThreadReader stand-in] --out--> grep -> ...
//                         admits the credit    SharedArrayBuffer   grants credit for what
//                         the reader granted                       its downstream took
//
// What both threads share for a connection is a `Wire`: the ring that carries
// the data one way (transport/ring-*.ts: numbers as typed runs, bytes as
// bytes, other values through transport/codec.ts, then the end of stream with
// its reason), and a credit cell that carries the reader's grants the other
// way. Credit is counted in elements, because the engine's admittance is asked
// for elements before it sees them, and the bytes an element takes are known
// only once it is encoded. The ring's own byte credit is then only the carrier's
// flow control: a chunk that does not fit yet waits in a queue no longer than
// the element credit the reader granted, so what is in flight stays bounded.
//
// Control records: the writer's end of stream (with its reason) is the ring's
// end or error record, after every chunk; the reader's half-close is the
// ring's close plus a signal on the credit cell; a broken link (a lost host)
// is a reset of the ring, which every reader sees as an error end.
import { admitWith, chunk, define } from '../engine/definition.js';
import { errorEnd, errorOf, standIn, type EndReason } from '../engine/ports.js';
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { entryOf } from '../jit/entries.js';
import type { OutgoingChunk, Received } from './records.js';
import { createRing, resetReason, waitAsync } from './ring-layout.js';
import { RingReader } from './ring-reader.js';
import { ConnectionClosedError, RingWriter } from './ring-writer.js';

/** The transport name the stand-ins record (ports.transportOf). */
export const THREADS = 'threads';

/** What both threads hold for one connection; postMessage shares the buffers, it does not copy them. */
export interface Wire {
  /** The data, from the writer to the reader. */
  readonly ring: SharedArrayBuffer;
  /** Two int32 words: a signal counter the writer sleeps on, and the elements granted so far. */
  readonly credit: SharedArrayBuffer;
  /** Names the connection in errors, for example "host 2: map#4 'in'". */
  readonly label: string;
}

const SIGNAL = 0;
const GRANTED = 1;

export function createWire(label: string, ringBytes = 1 << 16): Wire {
  return { ring: createRing(ringBytes), credit: new SharedArrayBuffer(8), label };
}

/** The link broke: its ring was reset, for example because the host at the other end is gone. */
export class LinkBrokenError extends Error {
  override name = 'LinkBrokenError';
}

function wake(cell: Int32Array): void {
  Atomics.add(cell, SIGNAL, 1);
  Atomics.notify(cell, SIGNAL);
}

// ------------------------------------------------------------------ the writing end

/** The writing end of a connection: a stand-in whose `in` admits the credit the far reader granted. */
export class ThreadWriter {
  readonly process: Process;
  private readonly ring: RingWriter;
  private readonly cell: Int32Array;
  /** Elements admitted so far (int32 arithmetic, as the granted count). */
  private admitted = 0;
  /** Chunks admitted and encoded, waiting for room in the ring. */
  private readonly outbox: OutgoingChunk[] = [];
  private finish: EndReason | undefined;
  private sending = false;
  private watching = false;
  private stopped = false;
  /** Held for a migration back (hold()): admits nothing, and does not watch for credit. */
  private held = false;

  constructor(io: IO, readonly wire: Wire) {
    this.ring = new RingWriter(wire.ring, wire.label);
    this.cell = new Int32Array(wire.credit);
    this.process = new Process(io, threadWriter, { link: this });
    standIn(this.process, THREADS);
    // The stand-in lives as long as the connection: the writing side's chain keeps it.
    io.pin(this.process);
  }

  /** Credit the reader has granted and this end has not spent, in elements. */
  get credit(): number {
    return (Atomics.load(this.cell, GRANTED) - this.admitted) | 0;
  }

  /** @internal The stand-in's admittance. */
  admit(n: number): number {
    if (this.held) return 0;
    const credit = this.stopped ? 0 : this.credit;
    if (credit <= 0) {
      this.watch();
      return 0;
    }
    return Math.min(n, credit);
  }

  /** @internal The stand-in's flow: encodes a copy of the elements now (the writer may change them after), then sends. */
  send(xs: ArrayLike<unknown>, offset: number, n: number): number {
    this.admitted = (this.admitted + n) | 0;
    const copy = Array.prototype.slice.call(xs, offset, offset + n);
    this.outbox.push(this.ring.prepare(copy));
    void this.sendLoop();
    return n;
  }

  /** @internal The stand-in's input ended: the stream ends across the link, after what was sent. */
  sendEnd(why: EndReason): void {
    this.finish = why;
    void this.sendLoop();
  }

  /** Breaks the connection from this side: the writer's upstream ends with `error`, the far reader sees a reset. */
  fail(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.outbox.length = 0;
    this.ring.reset(error.message);
    const p = this.process;
    if (p.isConnected('in') && !p.sentReason('in')) p.end('in', errorEnd(error));
  }

  private async sendLoop(): Promise<void> {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      for (;;) {
        const state = this.ring.state();
        if (state === 'closed') return this.halfClosed();
        if (state === 'reset') return this.fail(new LinkBrokenError(resetReason(this.wire.ring)));
        const next = this.outbox[0];
        if (next !== undefined) {
          const n = this.ring.admittance(next);
          if (n > 0) {
            this.ring.flow(next, n);
            if (next.sent === next.units) this.outbox.shift();
          } else {
            await this.ring.writable(next.unitBytes);
          }
          continue;
        }
        const why = this.finish;
        if (why === undefined) return;
        this.finish = undefined;
        this.stopped = true;
        if (why.reason === 'end') await this.ring.end();
        else await this.ring.error(errorOf(why));
        return;
      }
    } catch (e) {
      // The far side closed or reset the ring between the check and the write.
      if (!(e instanceof ConnectionClosedError)) throw e;
      this.stopped = false;
      if (e.reason === 'closed') this.halfClosed();
      else if (e.reason === 'reset') this.fail(new LinkBrokenError(resetReason(this.wire.ring)));
    } finally {
      this.sending = false;
    }
  }

  /** The far reader stopped reading: nothing more is sent, and the sources upstream stop. */
  private halfClosed(): void {
    this.stopped = true;
    this.outbox.length = 0;
    const p = this.process;
    if (p.isConnected('in') && !p.sentReason('in')) p.end('in');
  }

  /** Sleeps on the credit cell until the reader grants credit or closes, then lets the writers upstream go on. */
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    void (async () => {
      // The grant may land (from the other thread) before whoever was refused
      // has started to wait for the notice: notify no earlier than a microtask on.
      await Promise.resolve();
      try {
        for (;;) {
          const signal = Atomics.load(this.cell, SIGNAL);
          const state = this.ring.state();
          if (this.stopped) return;
          if (state === 'closed') return this.halfClosed();
          if (state === 'reset') return this.fail(new LinkBrokenError(resetReason(this.wire.ring)));
          if (this.credit > 0) break;
          const r = waitAsync(this.cell, SIGNAL, signal);
          if (r.async) await r.value;
        }
      } finally {
        this.watching = false;
      }
      if (this.process.isConnected('in')) this.process.writableAgain('in');
    })();
  }

  /**
   * Admits nothing more (the processes at the far end are about to move) and
   * resolves, once everything admitted is in the ring, with the number of
   * elements admitted in all: what the far reader will have received. A
   * failure meanwhile (the host lost) still ends the writers upstream.
   */
  async hold(): Promise<number> {
    this.held = true;
    while ((this.outbox.length > 0 || this.sending) && !this.stopped) await new Promise((resolve) => setImmediate(resolve));
    return this.admitted;
  }

  /** Undoes hold(): the writers upstream go on (the far end refused to let its processes go). */
  release(): void {
    this.held = false;
    if (this.process.isConnected('in') && !this.stopped) this.process.writableAgain('in');
  }

  /**
   * The connection was handed over to another end: this one stops for good
   * without ending or failing anything (its ring is reset afterwards only to
   * wake the far end, which retired first).
   */
  retire(): void {
    this.stopped = true;
    this.held = false;
    this.outbox.length = 0;
  }

  /** Wakes a writer sleeping on the credit cell (after its ring was reset from outside). */
  nudge(): void {
    wake(this.cell);
  }
}

// ------------------------------------------------------------------ the reading end

/** The reading end of a connection: a stand-in whose `out` writes what arrives and grants credit for what was taken. */
export class ThreadReader {
  readonly process: Process;
  private readonly ring: RingReader;
  private readonly cell: Int32Array;
  /** Received and not yet delivered downstream: at most the credit granted. */
  private readonly buffered: unknown[] = [];
  private ended: EndReason | undefined;
  private draining = false;
  private waiting = false;
  private closed = false;
  private started = false;
  /** Elements received through the ring so far. */
  private received = 0;
  /** Delivers nothing downstream (its process is being frozen for a move back). */
  private paused = false;
  /** Reads nothing more from the ring: everything the writer sent has arrived (a move back). */
  private handedOver = false;

  constructor(
    io: IO,
    readonly wire: Wire,
    /** How many elements this end buffers at most: the credit it grants at first. */
    readonly window: number,
    /** Called after every delivery: the thread lets its other readers offer what they hold again (see offerAgain). */
    private readonly delivered: () => void = () => undefined,
  ) {
    this.ring = new RingReader(wire.ring, { name: wire.label });
    this.cell = new Int32Array(wire.credit);
    this.process = new Process(io, threadReader, { link: this });
    standIn(this.process, THREADS);
    io.pin(this.process);
  }

  /** Grants the first credit and starts reading (once; later calls do nothing). Call once the stand-in's `out` is connected. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.grant(this.window);
    void this.readLoop();
  }

  private grant(n: number): void {
    Atomics.add(this.cell, GRANTED, n);
    wake(this.cell);
  }

  private async readLoop(): Promise<void> {
    for (;;) {
      const r: Received = await this.ring.next();
      if (this.closed || this.handedOver) return;
      if (r.kind === 'end') {
        this.ended =
          r.reason === 'end' ? { reason: 'end' }
          : r.reason === 'error' ? errorEnd(r.error)
          : errorEnd(new LinkBrokenError(r.detail));
        this.drain();
        this.delivered();
        return;
      }
      // Typed runs come back as the numbers they were sent as; values as themselves.
      for (const x of r.data as ArrayLike<unknown> & Iterable<unknown>) this.buffered.push(x);
      this.received += (r.data as ArrayLike<unknown>).length;
      this.drain();
      this.delivered();
    }
  }

  /** @internal The reader's downstream ended its side: read nothing more, and tell the writer (a half-close). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffered.length = 0;
    this.ring.close();
    wake(this.cell);
  }

  /**
   * Hands what was received downstream, as far as it admits; grants the credit
   * that frees. Returns how much moved. Also called by offerAgain while this
   * end waits for its downstream: a zip takes from one side once the other
   * side delivered, without telling the first.
   */
  drain(): number {
    if (this.draining || this.closed || this.paused) return 0;
    const p = this.process;
    if (!p.isConnected('out') || p.sentReason('out') !== undefined) return 0;
    this.draining = true;
    let moved = 0;
    try {
      while (this.buffered.length > 0 && !p.isEnded('out')) {
        const k = entryOf(p, 'out>', 'admittance').ready()(this.buffered.length);
        if (k === 0) break;
        const taken = this.buffered.splice(0, k);
        entryOf(p, 'out>', 'flow').ready()(taken, 0, k);
        moved += k;
      }
    } finally {
      this.draining = false;
    }
    if (this.buffered.length === 0 && this.ended !== undefined) {
      p.end('out', this.ended.reason === 'end' ? undefined : this.ended);
      return moved;
    }
    if (moved > 0) this.grant(moved);
    if (this.buffered.length > 0 && !p.isEnded('out') && !this.waiting) {
      // Downstream is full: go on when it says it can take more.
      this.waiting = true;
      void p.whenWritableAgain('out').then(() => {
        this.waiting = false;
        this.drain();
        this.delivered();
      });
    }
    return moved;
  }

  /** Stops delivering downstream: what arrives from now on stays here (a move back freezes the process downstream). */
  pause(): void {
    this.paused = true;
  }

  /** Undoes pause(): delivers what it holds again. */
  resume(): void {
    this.paused = false;
    this.drain();
    this.delivered();
  }

  /**
   * Resolves once `total` elements have arrived through the ring (the count the
   * writer's hold() gave); rejects if the stream ended or broke first.
   */
  async arrived(total: number): Promise<void> {
    while (((this.received - total) | 0) < 0) {
      if (this.ended !== undefined || this.closed) throw new LinkBrokenError(`${this.wire.label}: the connection ended before the elements sent before the move had arrived`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Takes out what it holds, not yet delivered (a paused reader's elements go with the frozen process). */
  takeHeld(): unknown[] {
    return this.buffered.splice(0);
  }

  /**
   * Once `total` elements have arrived, reads nothing more and resolves when
   * it has delivered all it holds downstream: then the process downstream may
   * be connected to whatever writes next.
   */
  async handOver(total: number): Promise<void> {
    await this.arrived(total);
    this.handedOver = true;
    while (this.buffered.length > 0) {
      if (this.closed || this.process.sentReason('out') !== undefined) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The connection was handed over: this end stops for good, ending nothing downstream. */
  retire(): void {
    this.closed = true;
    this.handedOver = true;
    this.buffered.length = 0;
  }

  /** Holds received elements not yet delivered downstream. */
  get holding(): boolean {
    return this.buffered.length > 0;
  }

  /** Delivered its end of stream, or its downstream stopped reading. */
  get finished(): boolean {
    return this.closed || this.process.sentReason('out') !== undefined;
  }
}

/**
 * A process downstream of several readers (a zip) may take from one only after
 * another delivered, without telling the first: after a delivery, each reader
 * that holds elements offers them again, until nothing moves.
 */
export function offerAgain(readers: Set<ThreadReader>): void {
  for (let moved = true; moved;) {
    moved = false;
    for (const r of readers) {
      // A reader that delivered its end, or whose downstream stopped, offers nothing more.
      if (r.finished) readers.delete(r);
      else if (r.holding && r.drain() > 0) moved = true;
    }
  }
}

/** The writer stand-in: admits what the reader has granted; a flow sends the elements through the ring. */
export const threadWriter = define('threadWriter', {
  ports: ['in'],
  inputs: ['in'],
  params: ['link'],
  onEnd: (w) => {
    const end = w.params.link as ThreadWriter;
    end.sendEnd(w.endReason('in') ?? errorEnd(new LinkBrokenError(`${end.wire.label}: the input was reset`)));
  },
})
  .admittance('>in', admitWith((w, n) => (w.params.link as ThreadWriter).admit(n)))
  .flow('>in', chunk((w, xs, offset, n) => (w.params.link as ThreadWriter).send(xs as ArrayLike<unknown>, offset, n)));

/** The reader stand-in: a source whose elements arrive through the ring. */
export const threadReader = define('threadReader', {
  ports: ['out'],
  params: ['link'],
  onEnd: (r) => {
    (r.params.link as ThreadReader).close();
  },
});
