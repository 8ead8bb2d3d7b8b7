// Ports you can hold: endpoints, the server pattern and its acceptor.
//
// An endpoint is a process with one port that takes part in the lifecycle
// (`peer`) and two that attach it to a pipeline (`out`, `in`). What the peer
// writes into `peer` waits in the endpoint's inbox (read it with `read()`);
// what is written into `in` goes out through `peer`. A `Port` is a handle on
// such a port with the lifecycle's operations and waits.
//
// `pipe()` attaches a pipeline: the connection moves to a relay, whose rules
// are pure delegations ('>peer' => 'out>', '>in' => 'peer>'), so what the peer
// writes, the pipeline, and the writes back to the peer fuse into one compiled
// path (the same shape for every connection of a server).
//
// The server pattern:
//
//   const listen = Port.listen(io);
//   while (await listen.connected()) {
//     const p = listen.move(); // a dedicated port now holds the connection
//     serve(p);                // the listener is free for the next client
//   }
//
// A listening endpoint admits nothing, so a client's data waits until its
// connection has moved to a dedicated port. Clients that connect with
// `{ wait: true }` queue for the listener in order; the next one is connected in
// the same step that frees it. `serve()` runs that loop with a way to pause it
// and to bound how many connections are served at once: while it does not
// accept, clients simply wait (the denial-of-service guard).
import { admitWith, chunk, define } from '../engine/definition.js';
import type { Elements } from '../engine/flowable.js';
import type { IO } from '../engine/io.js';
import * as life from '../engine/ports.js';
import { PortError, Process } from '../engine/process.js';
import { guard, untilWritten } from '../engine/run.js';
import { Chain } from '../api/chain.js';
import { admitOut } from '../processes/elements/pull.js';

/** Elements an endpoint's inbox takes before it admits no more (bytes count one each). */
export const INBOX_CAPACITY = 64 * 1024;

const PEER = 0;

interface EndpointState {
  /** Received and not yet read: pieces of elements, the first one read from `head`. */
  inbox: Elements[];
  head: number;
  held: number;
  /** A pipeline is attached (`pipe`): the endpoint closes itself once both streams have ended. */
  piped: boolean;
}

function st(d: Process): EndpointState {
  return d.state as unknown as EndpointState;
}

export const endpoint = define('endpoint', {
  ports: ['peer', 'out', 'in'],
  inputs: ['peer', 'in'],
  params: ['capacity', 'listening'],
  state: { inbox: () => [] as Elements[], head: () => 0, held: () => 0, piped: () => false },
  onEnd: (d, port) => {
    if (port === 'peer') {
      // The peer sent its last: the pipeline ends after what is still in the inbox.
      if (st(d).piped) untilWritten(d, 'out', () => flushInbox(d));
      life.changed(d, PEER);
    } else if (port === 'in') {
      // The pipeline is done: so is our stream to the peer.
      d.end('peer');
    }
    // 'out': the pipeline reads no more; its admittance already says so.
    closeWhenDone(d);
  },
})
  .admittance('>peer', admitWith((d, n) => admitPeer(d, n)))
  .flow('>peer', chunk((d, xs, offset, n) => receive(d, xs, offset, n)))
  .flow('>in', 'peer>')
  .flow('<peer', 'in<')
  .flow('<out', 'peer<');

/** A piped port: the peer's writes go through the pipeline on out/in and back, fused. */
export const relay = define('relay', {
  ports: ['peer', 'out', 'in'],
  inputs: ['peer', 'in'],
  onEnd: (r, port) => {
    if (port === 'peer') r.end('out');
    else if (port === 'in') r.end('peer');
    closeWhenDone(r);
  },
})
  .flow('>peer', 'out>')
  .flow('>in', 'peer>')
  .flow('<peer', 'in<')
  .flow('<out', 'peer<');

function admitPeer(d: Process, n: number): number {
  if (d.params.listening || life.isClosed(d, PEER)) return 0;
  const s = st(d);
  if (s.piped && d.isConnected('out')) return s.held > 0 ? 0 : admitOut(d, 'out', n);
  return (d.params.capacity as number) - s.held;
}

function receive(d: Process, xs: Elements, offset: number, n: number): number {
  const s = st(d);
  if (s.piped && s.held === 0 && d.isConnected('out')) {
    d.entry('out>', 'flow').ready()(xs, offset, n);
    return n;
  }
  // Byte flowables are moved, not shared: a view of them is ours to keep.
  s.inbox.push(xs instanceof Uint8Array ? xs.subarray(offset, offset + n) : xs.slice(offset, offset + n));
  s.held += n;
  life.changed(d, PEER);
  return n;
}

/** Hands what waits in the inbox to the pipeline, as far as it admits; ends `out` after the peer's end. */
function flushInbox(d: Process): boolean {
  const s = st(d);
  while (s.held > 0) {
    if (!d.isConnected('out') || d.isEnded('out')) {
      take(d, Infinity);
      break;
    }
    const piece = s.inbox[0];
    const k = admitOut(d, 'out', piece.length - s.head);
    if (k === 0) return false;
    d.entry('out>', 'flow').ready()(piece, s.head, k);
    advance(s, k);
  }
  if (d.isEnded('peer')) d.end('out');
  return true;
}

function advance(s: EndpointState, k: number): void {
  s.held -= k;
  s.head += k;
  if (s.head === s.inbox[0].length) {
    s.inbox.shift();
    s.head = 0;
  }
}

/** Takes up to max elements from the inbox, in pieces. */
function take(d: Process, max: number): Elements[] {
  const s = st(d);
  const out: Elements[] = [];
  let want = max;
  while (want > 0 && s.held > 0) {
    const piece = s.inbox[0];
    const k = Math.min(want, piece.length - s.head);
    out.push(s.head === 0 && k === piece.length ? piece : piece.slice(s.head, s.head + k));
    advance(s, k);
    want -= k;
  }
  if (out.length > 0 && d.isConnected(PEER)) d.writableAgain(PEER);
  return out;
}

/** A piped port closes itself once the peer's stream and its own have both ended. */
function closeWhenDone(d: Process): void {
  if ((d.def === relay || st(d).piped) && d.isEnded(PEER) && d.endState(PEER)[1]) life.close(d, PEER);
}

export interface PortOptions {
  /** Elements (bytes) the inbox takes before the endpoint admits no more. */
  capacity?: number;
}

/** Builds a connection's pipeline: what the peer sends goes in, what comes out goes back. */
export type Pipeline = (c: Chain<unknown>) => Chain<unknown>;

export interface ConnectOptions {
  /** Wait while either port is connected instead of throwing a PortError. */
  wait: true;
  signal?: AbortSignal;
}

export type { PortState } from '../engine/ports.js';

/**
 * A connection accepted in the step its client connected (`connectAndAccept`)
 * and not yet connected to a port of its own: the client's port, and what the
 * port it gets needs. See `Port.arriving`.
 */
export interface Arrival {
  client: Process;
  port: number;
  /** The inbox of the dedicated endpoint, if one is made. */
  capacity: number;
  /** Called once the connection is over (its port is gone). */
  gone: () => void;
}

/** A handle on one port of a process, with the lifecycle's operations and waits. */
export class Port {
  readonly number: number;
  private holder: Process;
  /** Set while the connection this handle serves has no port yet (see `arriving`). */
  private arrival: Arrival | undefined;

  constructor(process: Process, port: string | number = PEER) {
    this.holder = process;
    this.number = process.portNumber(port);
  }

  /**
   * @internal For the acceptor (`connectAndAccept`).
   * A handle for an accepted connection whose port is made on first use:
   * `pipe()` as the first call connects the client straight to a relay with
   * the pipeline (no dedicated endpoint, no move); anything else first connects
   * it to a dedicated endpoint, as `move()` would have. Whoever makes one must
   * call `place()` once the handler's synchronous part is over, so a
   * connection never waits unconnected across a turn of the event loop.
   */
  static arriving(arrival: Arrival): Port {
    // The client's process stands in until the connection has its port; number 0 is PEER on both.
    const p = new Port(arrival.client, PEER);
    p.arrival = arrival;
    return p;
  }

  /** The process whose port this is (after `pipe()`, the relay that took the connection over). */
  get process(): Process {
    if (this.arrival !== undefined) this.place();
    return this.holder;
  }

  set process(p: Process) {
    this.holder = p;
  }

  /**
   * @internal For the acceptor; does nothing on a port that has its process.
   * An arriving connection gets its port now: a dedicated endpoint, or `to`.
   * If the client went away meanwhile, the port is left gone and the
   * connection counts as over.
   */
  place(to?: Process): void {
    const a = this.arrival;
    if (a === undefined) return;
    this.arrival = undefined;
    const port = to ?? new Process(a.client.io, endpoint, { capacity: a.capacity, listening: false });
    this.holder = port;
    try {
      life.connect(a.client, a.port, port, PEER);
    } catch {
      port.remove();
      a.gone();
      return;
    }
    life.dedicate(port, PEER, a.gone);
    holdAlong(port);
  }

  /** A new endpoint: it exists and is not connected. */
  static create(io: IO, options: PortOptions = {}): Port {
    return new Port(new Process(io, endpoint, { capacity: capacity(options), listening: false }));
  }

  /** A new listening endpoint: it admits nothing, and hands each connection on with `move()`. */
  static listen(io: IO, options: PortOptions = {}): Port {
    return new Port(new Process(io, endpoint, { capacity: capacity(options), listening: true }));
  }

  get io(): IO {
    return this.process.io;
  }

  get label(): string {
    return `${this.process.label}.${this.process.portName(this.number)}`;
  }

  /** 'absent' (gone), 'free' (exists, not connected) or 'connected'. */
  get state(): life.PortState {
    return life.portState(this.process, this.number);
  }

  get exists(): boolean {
    return life.exists(this.process);
  }

  get isConnected(): boolean {
    return this.process.isConnected(this.number);
  }

  /** The nonce of the connection now on this port (0: none). */
  get nonce(): number {
    return life.nonceOf(this.process, this.number);
  }

  /** The peer has ended its stream into this port. */
  get isEnded(): boolean {
    return this.process.isEnded(this.number);
  }

  /**
   * Why the peer ended its stream into this port: undefined while it has not;
   * `{ reason: 'end' }` for a clean end; `{ reason: 'error', error }` when what
   * wrote it failed; `{ reason: 'reset', error }` when the connection was cut
   * (a TCP reset). Anything but `end` means the stream is truncated.
   */
  get endReason(): life.EndReason | undefined {
    return this.process.endReason(this.number);
  }

  /** This end has closed. */
  get isClosed(): boolean {
    return life.isClosed(this.process, this.number);
  }

  get isListening(): boolean {
    return this.process.def === endpoint && this.process.params.listening === true;
  }

  /** The port on the far end, if connected. */
  peer(): Port | undefined {
    const far = this.process.peer(this.number);
    return far && new Port(far.process, far.port);
  }

  /** Connects to `to` now (a PortError if either is taken), or with `{ wait: true }` as soon as both are free. */
  connect(to: Port): this;
  connect(to: Port, options: ConnectOptions): Promise<this>;
  connect(to: Port, options?: ConnectOptions): this | Promise<this> {
    if (options?.wait) {
      return life.connectWhenFree(this.process, this.number, to.process, to.number, { signal: options.signal }).then(() => this);
    }
    life.connect(this.process, this.number, to.process, to.number);
    return this;
  }

  disconnect(): boolean {
    return life.disconnect(this.process, this.number);
  }

  /**
   * Hands this port's connection to a new dedicated endpoint, atomically, and
   * returns it. This port stays, free for the next connection; once the
   * connection is over the dedicated port goes, and `gone` is called. Throws a
   * PortError if there is no connection to move.
   */
  move(options: PortOptions & { pipe?: Pipeline; onError?: (error: unknown) => void } = {}, gone?: () => void): Port {
    // A dedicated port has no other use: it goes away with its connection (then
    // `gone` is called). It is dedicated within the move, so a connection that is
    // over as soon as it arrives (its client left while it waited) still takes it along.
    if (options.pipe) {
      // Straight into a relay with the pipeline: the same as move() then pipe(), one step shorter.
      const r = relayWith(this.io, options.pipe, options.onError);
      try {
        life.move(this.process, this.number, r, PEER, { dedicate: { gone } });
      } catch (error) {
        // The move itself failed (nothing moved), or the pipeline failed on an end
        // of stream that had arrived before the move: then the connection fails.
        if (!life.isDedicated(r, PEER)) r.remove();
        else abandon(r, error);
        throw error;
      }
      holdAlong(r);
      return new Port(r);
    }
    const capacity = options.capacity ?? (this.process.def === endpoint ? (this.process.params.capacity as number) : INBOX_CAPACITY);
    const d = new Process(this.io, endpoint, { capacity, listening: false });
    try {
      life.move(this.process, this.number, d, PEER, { dedicate: { gone } });
    } catch (error) {
      d.remove();
      throw error;
    }
    holdAlong(d);
    return new Port(d);
  }

  /** Hands this port's connection to `target` (which must exist and be free), atomically. */
  moveTo(target: Port): void {
    life.move(this.process, this.number, target.process, target.number);
  }

  /** Half-close of the stream: we send no more (the peer drains, then sees end of stream); we may still read. */
  end(): void {
    this.process.end(this.number);
  }

  /**
   * Closes this end: ends our stream, and we read no more (what waits in the
   * inbox is dropped and the peer's writes are refused). The connection is over
   * once the peer has closed too.
   */
  close(): void {
    if (this.process.def === endpoint) take(this.process, Infinity);
    // A relay reads no more: its pipeline is cut off, so the peer's writes are refused.
    if (this.process.def === relay) this.process.disconnect('out');
    life.close(this.process, this.number);
  }

  /** The port ceases to exist: the peer sees end of stream and the connection is over. */
  destroy(): void {
    if (this.exists) life.destroy(this.process);
  }

  /** Resolves true once connected (at once if it is); false once the port is gone. */
  connected(): Promise<boolean> {
    return life.whenConnected(this.process, this.number);
  }

  /** Resolves true once the connection now here is over (wherever it moved); false if its port is gone. */
  disconnected(): Promise<boolean> {
    return life.whenDisconnected(this.process, this.number);
  }

  /** Resolves true once there is something to read; false once nothing more can come. */
  readable(): Promise<boolean> {
    this.endpointOnly('readable');
    return life.whenReadable(this.process, this.number, (q) => q.def === endpoint && st(q).held > 0);
  }

  /** Resolves true once a write would be admitted; false once it never will on this connection. */
  writable(): Promise<boolean> {
    return life.whenWritable(this.process, this.number);
  }

  /** Elements waiting to be read. */
  get available(): number {
    this.endpointOnly('available');
    return st(this.process).held;
  }

  /**
   * Writes as much of xs[offset, offset + n) as the peer admits now; returns how
   * much that was (0 when it admits nothing, or never will: see `writable()`).
   */
  write(xs: Elements, offset = 0, n = xs.length - offset): number {
    const p = this.process;
    if (!p.isConnected(this.number)) return 0;
    if (p.endState(this.number)[1]) throw new PortError(`${this.label}: cannot write after end()`);
    const spec = `${p.portName(this.number)}>`;
    const k = p.entry(spec, 'admittance').ready()(n);
    if (k > 0) p.entry(spec, 'flow').ready()(xs, offset, k);
    return k;
  }

  /** Writes all of xs, waiting as needed; false if the connection will not take the rest. */
  async send(xs: Elements, offset = 0, n = xs.length - offset): Promise<boolean> {
    let at = offset;
    const end = offset + n;
    while (at < end) {
      at += this.write(xs, at, end - at);
      if (at < end && !(await this.writable())) return false;
    }
    return true;
  }

  /** Takes what has arrived (up to max elements): values, and byte chunks as Uint8Array elements. */
  read(max = Infinity): unknown[] {
    this.endpointOnly('read');
    const out: unknown[] = [];
    for (const piece of take(this.process, max)) {
      if (piece instanceof Uint8Array) out.push(piece);
      else for (const x of piece) out.push(x);
    }
    return out;
  }

  /** Takes the bytes that have arrived, as one chunk. */
  readBytes(max = Infinity): Uint8Array {
    this.endpointOnly('readBytes');
    const parts: Uint8Array[] = [];
    for (const piece of take(this.process, max)) {
      if (piece instanceof Uint8Array) parts.push(piece);
      else if (piece.every((x) => typeof x === 'number')) parts.push(Uint8Array.from(piece as number[]));
      else for (const x of piece) parts.push(x instanceof Uint8Array ? x : Buffer.from(String(x), 'utf8'));
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Everything until the peer's end of stream (values, byte chunks as elements). */
  async readAll(): Promise<unknown[]> {
    const out: unknown[] = [];
    while (await this.readable()) for (const x of this.read()) out.push(x);
    return out;
  }

  /**
   * Attaches a pipeline: what the peer sends goes through the chain `build`
   * makes, and what comes out of it goes back to the peer; the port closes once
   * both streams have ended. The connection moves to a relay dedicated to it
   * (this handle follows it), and pipelines of one shape share their compiled
   * code, however many connections build them. If data or the peer's end of
   * stream is already waiting here, it stays and is handed on first.
   */
  pipe<Y>(build: (c: Chain<unknown>) => Chain<Y>, onError?: (error: unknown) => void): void {
    if (this.arrival !== undefined) {
      // Piped before anything else: the client connects straight to the relay,
      // with no dedicated endpoint and no move (what most handlers do).
      this.place(relayWith(this.arrival.client.io, build as Pipeline, onError));
      return;
    }
    this.endpointOnly('pipe');
    const d = this.process;
    if (this.isConnected && st(d).held === 0 && !d.isEnded(PEER) && !life.isClosed(d, PEER)) {
      const r = relayWith(this.io, build as Pipeline, onError);
      life.move(d, PEER, r, PEER, { dedicate: {} }); // a dedication moves along (its `gone` with it)
      holdAlong(r);
      this.process = r;
      return;
    }
    if (onError) guard(d, (error) => fail(d, error, onError));
    const tail = build(new Chain<unknown>(this.io, d, d)).tail;
    tail.connect('out', d, 'in');
    st(d).piped = true;
    // What arrived before the pipeline did goes first.
    untilWritten(d, 'out', () => flushInbox(d));
    closeWhenDone(d);
  }

  private endpointOnly(what: string): void {
    if (this.process.def !== endpoint || this.number !== PEER) {
      throw new PortError(`${this.label}: ${what}() needs an endpoint's peer port (Port.create, Port.listen or move)`);
    }
  }
}

/**
 * A relay with the pipeline `build` makes attached to its out and in. Errors
 * its pipeline raises outside a flow call (a flush after the end of stream)
 * fail the connection and go to `onError`.
 */
function relayWith(io: IO, build: Pipeline, onError?: (error: unknown) => void): Process {
  const r = new Process(io, relay, {});
  if (onError) guard(r, (error) => fail(r, error, onError));
  build(new Chain<unknown>(io, r, r)).tail.connect('out', r, 'in');
  return r;
}

/**
 * A dedicated port serving a peer the container holds strongly (a socket
 * process, which its socket keeps alive) is held along with it: the peer keeps
 * it alive anyway, and whoever lets go of the peer lets go of it too.
 */
function holdAlong(p: Process): void {
  const peer = p.farProcess(PEER);
  if (peer !== undefined && p.io.isHeld(peer) && life.exists(p)) p.io.hold(p);
}

function fail(p: Process, error: unknown, onError: (error: unknown) => void): void {
  abandon(p, error);
  onError(error);
}

/**
 * Ends the connection on a served port (an endpoint or a relay) because what
 * serves it failed: the peer's stream ends with reason `error` (a TCP client
 * sees a reset, not a clean end of a truncated reply), the pipeline's input
 * ends with the error too, and the port reads no more. The connection is over
 * once the peer has closed as well; other connections are untouched.
 */
export function abandon(p: Process, error: unknown): void {
  if (!life.exists(p) || !p.isConnected(PEER)) return;
  const why = life.errorEnd(error);
  p.fault ??= why;
  p.end(PEER, why);
  if (p.def === endpoint) take(p, Infinity);
  if (p.isConnected('out')) {
    try {
      p.end('out', why);
    } catch {
      // The pipeline failed again on its way down: it is being abandoned anyway.
    }
    p.disconnect('out');
  }
  life.close(p, PEER);
}

function capacity(options: PortOptions): number {
  const n = options.capacity ?? INBOX_CAPACITY;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`capacity must be a positive integer, got ${n}`);
  return n;
}

// ---------------------------------------------------------------- the acceptor

export interface ServeOptions {
  /** Serve at most this many connections at once; further clients wait. */
  concurrency?: number;
  /**
   * Told of every connection that failed: its handler threw (or its promise
   * rejected), or its pipeline threw. That connection ends with the error
   * (its peer's stream ends with reason `error`); the others go on.
   */
  onError?: (error: unknown) => void;
  /** Start paused: nothing is accepted until `resume()`. */
  paused?: boolean;
  /** Options for the dedicated ports. */
  dedicated?: PortOptions;
}

/** How a server serves a connection: a handler given its dedicated port, or a pipeline to attach to it. */
export type Serve = ((p: Port) => unknown) | { pipe: Pipeline };

/**
 * Runs the server pattern on `listen`: each connection moves to a dedicated
 * port handed to `handler` (or, given `{ pipe }`, straight into that pipeline).
 * Accepting can be paused, and bounded by `concurrency`; meanwhile clients
 * wait (one on the listener, the rest in line).
 */
export function serve(listen: Port, handler: Serve, options: ServeOptions = {}): Acceptor {
  return new Acceptor(listen, handler, options);
}

/**
 * Counts a connection that failed, keeps its error (the last 100) and tells the
 * server's `onError`. Shared by both ways of serving (the server pattern here,
 * the light path in tcp.ts).
 */
export function reportFailure(server: { failed: number; readonly errors: unknown[] }, options: ServeOptions, error: unknown, who: string): void {
  server.failed++;
  server.errors.push(error);
  if (server.errors.length > 100) server.errors.shift();
  try {
    options.onError?.(error);
  } catch (thrown) {
    // The report must not take the server down: it becomes a warning.
    process.emitWarning(`${who}: onError threw: ${String(thrown)}`, 'PushbackServe');
  }
}

export class Acceptor {
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections being served (accepted, not yet over). */
  active = 0;
  /** Errors thrown (or rejected) by handlers and pipelines, each of which ended its connection (the last 100). */
  readonly errors: unknown[] = [];
  /** Connections that ended because their handler or pipeline failed. */
  failed = 0;
  /** Settles when the loop has stopped (the listener is gone, or `close()`). */
  readonly done: Promise<void>;
  private paused: boolean;
  private closed = false;
  private readonly concurrency: number;
  private gate: (() => void) | undefined;

  constructor(readonly listen: Port, private readonly handler: Serve, private readonly options: ServeOptions = {}) {
    this.paused = options.paused ?? false;
    this.concurrency = options.concurrency ?? Infinity;
    if (!(this.concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${this.concurrency}`);
    this.done = this.loop();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops accepting; clients wait until `resume()`. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.open();
  }

  /** Stops accepting for good and removes the listener: clients still waiting for it fail with a PortError. */
  close(): void {
    this.closed = true;
    this.listen.destroy();
    this.open();
  }

  /** A connection is over (its dedicated port is gone). */
  private readonly done_ = (): void => {
    this.active--;
    this.open();
  };

  private get ready(): boolean {
    return !this.paused && this.active < this.concurrency;
  }

  private open(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.();
  }

  /** Reports a failed connection (once per error). */
  readonly report = (error: unknown): void => reportFailure(this, this.options, error, 'serve');

  /**
   * Takes the connection of `port` of `p`, a client that arrives while the
   * listener is free (a PortError if it is taken or gone), and, if the
   * acceptor is ready, accepts it in the same step: the client never connects
   * to the listener, but straight to the port made for it, and the handler
   * runs before this returns. A handler whose first call on its port is
   * `pipe()` (or a `{ pipe }` server) gets the client connected straight to
   * the pipeline's relay: no dedicated endpoint, no move; anything else gets
   * the dedicated endpoint, made at its first use and at the latest when the
   * handler returns. `connected` runs before the client is served. Not ready
   * (paused, or at the limit): the client connects to the listener, as any
   * client would, `connected` runs, and the loop accepts it later.
   *
   * Accepting this way wakes nothing: no promise settles per connection, and
   * the loop's one wait for the listener never sees these connections.
   */
  connectAndAccept(p: Process, port: string | number, connected?: () => void): void {
    if (!this.ready || this.closed || this.listen.state !== 'free') {
      life.connect(p, port, this.listen.process, this.listen.number);
      connected?.();
      return;
    }
    const n = p.portNumber(port);
    if (!life.exists(p) || (p.ports[n] ?? 0) !== 0) {
      // Gone or taken already: the connect says so, as it would for the listener.
      life.connect(p, n, this.listen.process, this.listen.number);
    }
    try {
      connected?.();
    } catch (error) {
      // The connection is not served now: it waits on the listener, where the loop accepts it.
      life.connect(p, n, this.listen.process, this.listen.number);
      throw error;
    }
    // The slot is taken first: a connection over as soon as it has its port gives it back at once.
    this.accepted++;
    this.active++;
    const listening = this.listen.process;
    const capacity = this.options.dedicated?.capacity ?? (listening.def === endpoint ? (listening.params.capacity as number) : INBOX_CAPACITY);
    const served = Port.arriving({ client: p, port: n, capacity, gone: this.done_ });
    const handler = this.handler;
    if (typeof handler !== 'function') {
      try {
        served.pipe(handler.pipe, this.report);
      } catch (error) {
        // Building the pipeline failed: the connection ends with the error.
        abandon(served.process, error);
        this.report(error);
      }
      return;
    }
    this.serveOn(served);
  }

  /** The listener holds a connection; false once the listener is gone. */
  private arrival(): Promise<boolean> {
    return life.waitFor(this.listen.process, this.listen.number, (q, n) => (q.isConnected(n) ? true : undefined));
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (!this.ready) {
        await new Promise<void>((resolve) => (this.gate = resolve));
        continue;
      }
      if (!(await this.arrival())) break;
      // Paused (or at the limit) while waiting: the client stays on the listener.
      if (this.closed || !this.ready || !this.listen.isConnected) continue;
      this.accept();
    }
  }

  /** Moves the connection on the listener to its dedicated port and serves it; a failure ends that connection only. */
  private accept(): void {
    const handler = this.handler;
    // The slot is taken before the move: a connection over as soon as it arrives gives it back within the move.
    this.accepted++;
    this.active++;
    let p: Port;
    try {
      p = this.listen.move(typeof handler === 'function' ? this.options.dedicated : { pipe: handler.pipe, onError: this.report }, this.done_);
    } catch (error) {
      // The pipeline failed on an end of stream that came before the move (the connection is abandoned), or
      // nothing was moved (the slot is given back).
      if (!(error instanceof PortError)) this.report(error);
      else this.done_();
      return;
    }
    if (typeof handler === 'function') this.serveOn(p);
  }

  /** Runs the handler on `p`; a throw or a rejection ends that connection only. */
  private serveOn(p: Port): void {
    const failed = (error: unknown): void => {
      abandon(p.process, error);
      this.report(error);
    };
    let served: unknown;
    try {
      served = (this.handler as (p: Port) => unknown)(p);
    } catch (error) {
      failed(error);
      return;
    }
    // A handler that did not pipe at once (or did nothing yet) has its dedicated endpoint from now on.
    p.place();
    if (served instanceof Promise) served.catch(failed);
  }
}
