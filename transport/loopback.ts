// loopback: a transport whose two hosts are two IO containers in this thread.
// It carries connections through the same seam as a transport between threads
// or machines (docs/transports.md), and exists to test that seam: the port
// lifecycle, credit, end of stream with its reason, half-close and errors, all
// as records delivered later (a microtask), never by a direct call.
//
//   host A                                    host B
//   ... -> map --in--> [writer stand-in] ~~~> [reader stand-in] --out--> grep -> ...
//          (fused up to the stand-in)  records    (a new fused chain starts here)
//
// `io.processFor(address on the other host)` returns the writer stand-in for
// the far process's input port; connecting to its `in` is connecting across
// the transport. Not for production: no sequence numbers, no resend, nothing
// survives a lost host.
import { chunk, admitWith, define } from '../engine/definition.js';
import { hostIndex, splitAddress, type HostId } from '../engine/address.js';
import { errorEnd, resetEnd, standIn, type EndReason } from '../engine/ports.js';
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { entryOf } from '../jit/entries.js';

export const LOOPBACK = 'loopback';

/** What travels between the two stand-ins of one connection. */
export type LinkRecord =
  /** Elements, copied when sent: the writer's chunk may change once the flow returns. */
  | { kind: 'data'; xs: unknown[] }
  /** The reader may take `n` more elements: credit for the writer. */
  | { kind: 'credit'; n: number }
  /** The writer's stream ended, and why. Nothing follows it. */
  | { kind: 'end'; why: EndReason }
  /** The reader stops reading (its downstream ended): the writer ends its input. A half-close, as a record. */
  | { kind: 'close' };

export interface LoopbackOptions {
  /** How many elements a reader buffers at most, which is the credit it grants at first. */
  window?: number;
}

/** One connection across the loopback: the writer stand-in on one host, the reader stand-in on the other. */
export class LoopbackLink {
  /** Credit the reader has granted and the writer has not spent. */
  credit = 0;
  /** Records in flight, per direction. */
  private readonly toReader: LinkRecord[] = [];
  private readonly toWriter: LinkRecord[] = [];
  private scheduled = false;
  /** Received and not yet delivered downstream, on the reader's side. */
  private readonly buffered: unknown[] = [];
  private ended: EndReason | undefined = undefined;
  private pumping = false;
  private failed = false;
  readonly writer: Process;
  readonly reader: Process;

  constructor(
    writerIO: IO,
    readerIO: IO,
    readonly window: number,
    /** Called after records were delivered: the transport lets every reader offer what it holds again. */
    private readonly delivered: () => void = () => undefined,
  ) {
    this.writer = new Process(writerIO, transportWriter, { link: this });
    this.reader = new Process(readerIO, transportReader, { link: this });
    standIn(this.writer, LOOPBACK);
    standIn(this.reader, LOOPBACK);
    // The stand-ins live as long as the link: each side's chain keeps its own stand-in.
    writerIO.pin(this.writer);
    readerIO.pin(this.reader);
    this.send('toWriter', { kind: 'credit', n: window });
  }

  /** Breaks the link: both sides end with `error` (the writer's upstream and the reader's downstream). */
  fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.toReader.length = 0;
    this.toWriter.length = 0;
    this.credit = 0;
    const why = errorEnd(error);
    if (this.writer.isConnected('in') && !this.writer.sentReason('in')) this.writer.end('in', why);
    this.buffered.length = 0;
    this.ended = why;
    this.drain();
  }

  // ------------------------------------------------------------ the writer's side

  /** @internal The writer stand-in's flow: sends a copy of the chunk, spending credit. */
  sendData(xs: unknown[], offset: number, n: number): number {
    this.credit -= n;
    this.send('toReader', { kind: 'data', xs: xs.slice(offset, offset + n) });
    return n;
  }

  /** @internal The writer stand-in's input ended: its stream ends across the link. */
  sendEnd(why: EndReason): void {
    this.send('toReader', { kind: 'end', why });
  }

  // ------------------------------------------------------------ the reader's side

  /** @internal The reader's downstream stopped reading: tell the writer (a half-close). */
  sendClose(): void {
    this.buffered.length = 0;
    this.send('toWriter', { kind: 'close' });
  }

  // ------------------------------------------------------------ delivery

  private send(direction: 'toReader' | 'toWriter', record: LinkRecord): void {
    if (this.failed) return;
    this[direction].push(record);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.deliver());
  }

  private deliver(): void {
    this.scheduled = false;
    for (const r of this.toWriter.splice(0)) this.atWriter(r);
    for (const r of this.toReader.splice(0)) this.atReader(r);
    this.delivered();
  }

  private atWriter(r: LinkRecord): void {
    if (r.kind === 'credit') {
      this.credit += r.n;
      // Whoever waits to write into the stand-in may go on.
      if (this.writer.isConnected('in')) this.writer.writableAgain('in');
    } else if (r.kind === 'close') {
      if (this.writer.isConnected('in') && !this.writer.sentReason('in')) this.writer.end('in');
    }
  }

  private atReader(r: LinkRecord): void {
    if (r.kind === 'data') {
      for (const x of r.xs) this.buffered.push(x);
    } else if (r.kind === 'end') {
      this.ended = r.why;
    }
    this.drain();
  }

  /**
   * Hands what was received downstream, as far as it admits; grants the credit
   * that frees. Returns how much moved.
   */
  drain(): number {
    if (this.pumping) return 0;
    const p = this.reader;
    if (!p.isConnected('out') || p.sentReason('out') !== undefined) return 0;
    let moved = 0;
    while (this.buffered.length > 0 && !p.isEnded('out')) {
      const k = entryOf(p, 'out>', 'admittance').ready()(this.buffered.length);
      if (k === 0) break;
      const chunk = this.buffered.splice(0, k);
      entryOf(p, 'out>', 'flow').ready()(chunk, 0, k);
      moved += k;
    }
    if (this.buffered.length === 0 && this.ended !== undefined) {
      p.end('out', this.ended.reason === 'end' ? undefined : this.ended);
      return moved;
    }
    if (moved > 0) this.send('toWriter', { kind: 'credit', n: moved });
    if (this.buffered.length > 0 && !p.isEnded('out')) {
      // Downstream is full: go on when it says it can take more.
      this.pumping = true;
      void p.whenWritableAgain('out').then(() => {
        this.pumping = false;
        this.drain();
      });
    }
    return moved;
  }

  /** Holds received elements not yet delivered downstream. */
  get holding(): boolean {
    return this.buffered.length > 0;
  }
}

/** The writer stand-in: admits what the reader has granted; a flow sends a data record. */
export const transportWriter = define('transportWriter', {
  ports: ['in'],
  inputs: ['in'],
  params: ['link'],
  onEnd: (w) => {
    const link = w.params.link as LoopbackLink;
    link.sendEnd(w.endReason('in') ?? resetEnd());
  },
})
  .admittance('>in', admitWith((w, n) => Math.min(n, (w.params.link as LoopbackLink).credit)))
  .flow('>in', chunk((w, xs, offset, n) => (w.params.link as LoopbackLink).sendData(xs as unknown[], offset, n)));

/** The reader stand-in: a source whose elements arrive over the link. */
export const transportReader = define('transportReader', {
  ports: ['out'],
  params: ['link'],
  onEnd: (r) => {
    // The reader's downstream ended its side: nothing more is read.
    (r.params.link as LoopbackLink).sendClose();
  },
});

/**
 * Two IO containers (hosts) linked by the loopback transport: each resolves
 * addresses on the other host to a writer stand-in (IO.processFor).
 */
export class Loopback {
  readonly links: LoopbackLink[] = [];
  private readonly hosts = new Map<HostId, IO>();
  private readonly proxies = new Map<bigint, LoopbackLink>();
  readonly window: number;

  constructor(options: LoopbackOptions = {}) {
    this.window = options.window ?? 64;
  }

  /** The `remote` option for a container on `host` (see IOOptions.remote). */
  route(): (address: bigint) => Process | undefined {
    return (address) => {
      const parts = splitAddress(address);
      const io = this.hosts.get(parts.host);
      if (io === undefined) throw new RangeError(`loopback: no host ${hostIndex(parts.host)}`);
      // One stand-in per address while nothing is connected to it: asking twice gives the same proxy.
      const known = this.proxies.get(address);
      if (known !== undefined && !known.writer.isConnected('in') && known.writer.sentReason('in') === undefined) return known.writer;
      const far = io.processFor(parts.object);
      if (far === undefined) return undefined;
      const link = this.link(this.peerOf(parts.host), far, far.portName(parts.port));
      this.proxies.set(address, link);
      return link.writer;
    };
  }

  /** Registers a container as one of the hosts (its `host` must be set). */
  add(io: IO): IO {
    if (this.hosts.has(io.host)) throw new RangeError(`loopback: host ${hostIndex(io.host)} is already linked`);
    this.hosts.set(io.host, io);
    return io;
  }

  /**
   * A new link from a container to `far.farPort` on another: returns it with its
   * reader stand-in already connected to that port; connect to `link.writer`'s
   * `in` on the writing host.
   */
  link(from: IO, far: Process, farPort: string): LoopbackLink {
    if (from === far.io) throw new RangeError(`loopback: ${far.label} is on the same host`);
    const link = new LoopbackLink(from, far.io, this.window, () => this.offerAgain());
    link.reader.connect('out', far, farPort);
    this.links.push(link);
    return link;
  }

  /**
   * A process downstream of several links (a zip) may take from one only after
   * another delivered, without telling the first: after every delivery, each
   * reader that holds elements offers them again, until nothing moves.
   */
  private offerAgain(): void {
    for (let moved = true; moved;) {
      moved = false;
      for (const link of this.links) if (link.holding && link.drain() > 0) moved = true;
    }
  }

  private peerOf(host: HostId): IO {
    for (const [h, io] of this.hosts) if (h !== host) return io;
    throw new RangeError('loopback: needs two hosts');
  }
}
