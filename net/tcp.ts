// TCP: socket processes, a server (on the server pattern or the light path), and a client.
//
// A socket process holds one net.Socket and one port, `net`. Bytes that arrive
// on the socket are written through `net>` as far as the far end admits; when
// it admits nothing the socket is paused (TCP's own flow control takes over)
// until the far end is writable again. Bytes written into `>net` go to the
// socket: a whole write is admitted while less than `highWater` bytes wait to
// be sent, none after that (splitting chunks would only cost more system calls).
//
// Half-close maps both ways: the remote end's FIN ends the stream into the
// engine (`end`), and the engine ending its stream into the socket sends FIN
// (`socket.end()`, after the queued data). The socket closing for good closes
// the port; once both ends have closed, the connection is over and the
// socket process leaves the container.
//
// A server serves its connections one of two ways. On the server pattern (a
// handler, or `{ pipe }` with `direct: false`) each socket becomes a socket
// process, which waits in line for the listening port; the acceptor moves each
// connection to a dedicated port and the handler (or the pipeline) serves it.
// On the light path (`{ pipe }`, the default) a connection is its socket and an
// instance of the pipeline: one connection process holds the socket and both
// ends of the pipeline, with no listener, move, relay or wait; an empty
// pipeline needs no process at all (an `Echo`), and a line of steps is served
// by instances kept from one connection to the next (`Instances`), so a
// connection costs its state rather than a new pipeline. Either way pipelines
// of one shape compile once for all connections.
//
// Faults stay with their connection: a reset reaches the pipeline as an end of
// stream with reason `reset`; a pipeline or handler that throws resets its own
// client and is reported; quiet connections time out (idle and read timeouts).
// No error from a socket or a pipeline escapes into the event loop.
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { admitWith, chunk, define } from '../engine/definition.js';
import type { Elements } from '../engine/flowable.js';
import type { IO } from '../engine/io.js';
import * as life from '../engine/ports.js';
import { Process } from '../engine/process.js';
import { guard } from '../engine/run.js';
import { Chain } from '../api/chain.js';
import { ConnectionSet } from './connection-set.js';
import { abandon, Acceptor, endpoint, Port, reportFailure, serve as serveLoop, type Pipeline, type PortOptions, type Serve, type ServeOptions } from './endpoints.js';

/** A socket process admits whole writes while fewer than this many bytes wait to be sent. */
export const SOCKET_HIGH_WATER = 64 * 1024;

/** A connection was reset because it was idle, or its client sent nothing, for too long. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

interface SocketState {
  /** Received and not yet admitted by the far end (the socket is paused meanwhile). */
  pending: Uint8Array | null;
  /** The remote end sent FIN. */
  eof: boolean;
  /** The socket closed for good. */
  gone: boolean;
  waiting: boolean;
  /** The socket's error, if it had one (a reset: ECONNRESET). */
  error: unknown;
  /** The connection is being reset: nothing more is written or read. */
  cut: boolean;
  /** Data was received but never handed on (the socket went first): the stream into the engine is truncated. */
  dropped: boolean;
  /** Sweeps of the server's timeout clock when bytes last came in and went out. */
  seenIn: number;
  seenOut: number;
  /** A connection process (the light path) whose pipeline is attached and reading. */
  started?: boolean;
  /** Its place in the server's `sockets` (-1: none). */
  slot: number;
}

/** What holds a socket: a socket or connection process, or an empty pipeline's connection (an `Echo`). */
type Holder = Pick<Process, 'state' | 'params'>;

function st(s: Holder): SocketState {
  return s.state as unknown as SocketState;
}

function sock(s: Holder): Socket {
  return s.params.socket as Socket;
}

/** What a socket process does when its connection fails: reports, resets the socket, ends the stream into the engine. */
type Failure = (s: Process, error: unknown) => void;

/** A started connection on the light path is over; `clean`: its pipeline sent its last cleanly and nothing cut it. */
type Over = (c: Process, clean: boolean) => void;

const socketState = {
  pending: () => null as Uint8Array | null,
  eof: () => false,
  gone: () => false,
  waiting: () => false,
  error: () => undefined as unknown,
  dropped: () => false,
  cut: () => false,
  seenIn: (p: Record<string, unknown>) => (p.clock as Clock | undefined)?.sweeps ?? 0,
  seenOut: (p: Record<string, unknown>) => (p.clock as Clock | undefined)?.sweeps ?? 0,
  slot: () => -1,
};

/**
 * The engine side sent its last into `port`: FIN once the queued data is out;
 * after an error or a reset, a reset (the client must not take a truncated
 * reply for a whole one).
 */
function sentLast(s: Process, port: string): void {
  const k = sock(s);
  if (k.destroyed || st(s).cut) return;
  const why = s.endReason(port);
  if (why !== undefined && why.reason !== 'end') reset(s);
  else if (!k.writableEnded) k.end();
}

const admitToSocket = admitWith((s, n) => {
  if (life.isClosed(s, 0)) return 0;
  // After the socket went away the data has nowhere to go: it is taken and dropped.
  if (st(s).gone || st(s).cut) return n;
  return sock(s).writableLength < (s.params.highWater as number) ? n : 0;
});

const writeToSocket = chunk((s, xs, offset, n) => {
  const k = sock(s);
  if (st(s).gone || st(s).cut || k.destroyed || k.writableEnded) return n;
  const clock = s.params.clock as Clock | undefined;
  if (clock) st(s).seenOut = clock.sweeps;
  if (xs instanceof Uint8Array) k.write(offset === 0 && n === xs.length ? xs : xs.subarray(offset, offset + n));
  else for (const chunk of byteChunks(xs, offset, n)) k.write(chunk);
  return n;
});

export const socket = define('socket', {
  ports: ['net'],
  inputs: ['net'],
  params: ['socket', 'highWater', 'clock', 'failure'],
  state: socketState,
  onEnd: (s) => sentLast(s, 'net'),
})
  .admittance('>net', admitToSocket)
  .flow('>net', writeToSocket);

/**
 * The light path: a connection of a `{ pipe }` server served directly. The
 * process holds the socket and the pipeline's two ends: what the client sends
 * goes out through `out` into the pipeline, what the pipeline writes into `in`
 * goes to the client. No listener, no move, no relay, no waits: the pipeline's
 * code is the one compiled for its shape, bound to this connection's state.
 * The process goes when the socket has closed.
 */
export const connection = define('connection', {
  ports: ['out', 'in'],
  inputs: ['in'],
  params: ['socket', 'highWater', 'clock', 'over', 'failure'],
  state: { ...socketState, started: () => false },
  onEnd: (c, port) => {
    if (port === 'in') sentLast(c, 'in');
    // The pipeline reads no more (a `take` had enough): what the client sends
    // from now on is dropped, and the socket reads on, so its FIN still comes.
    else if (st(c).pending !== null) st(c).pending = null;
  },
})
  .admittance('>in', admitToSocket)
  .flow('>in', writeToSocket);

// A flush that fails later, downstream of a socket, fails that socket's connection.
const failLater = (error: unknown, s: Process): void => (s.params.failure as Failure)(s, error);
guard(socket, failLater);
guard(connection, failLater);

/** The spec through which a socket's bytes go into the engine (port 0 of either kind). */
function into(s: Process): string {
  return s.def === socket ? 'net>' : 'out>';
}

/** Byte values, byte chunks and strings as byte chunks. */
function byteChunks(xs: unknown[], offset: number, n: number): Uint8Array[] {
  if (typeof xs[offset] === 'number') return [Uint8Array.from(xs.slice(offset, offset + n) as number[])];
  return xs.slice(offset, offset + n).map((x) => (x instanceof Uint8Array ? x : Buffer.from(String(x), 'utf8')));
}

/**
 * Resets the socket: the client sees ECONNRESET. Written data goes first:
 * reset in the same turn as a write, the peer may see the data and a clean
 * FIN instead, so the reset waits one turn of the event loop (writing nothing more).
 */
function reset(s: Holder): void {
  const k = sock(s);
  const state = st(s);
  if (state.cut || k.destroyed) return;
  state.cut = true;
  k.pause();
  setImmediate(() => {
    if (!k.destroyed) k.resetAndDestroy();
  });
}

/** Counts sweeps of a server's timeout check; a socket notes the count when bytes move. */
interface Clock {
  sweeps: number;
}

/**
 * A socket process for `k`; it reads nothing until `startReading` (once its
 * port is connected). Errors of the pipeline behind it (thrown while it hands
 * on data or an end of stream, or raised later by a flush) go to `failure`.
 */
function socketProcess(io: IO, k: Socket, highWater: number, failure: Failure, clock?: Clock, over?: Over, left?: (s: Process) => void): Process {
  const s = over === undefined ? new Process(io, socket, { socket: k, highWater, clock, failure }) : new Process(io, connection, { socket: k, highWater, clock, over, failure });
  k.on('drain', () => {
    if (clock) st(s).seenOut = clock.sweeps;
    try {
      s.writableAgain(s.def === socket ? 0 : 1);
    } catch (error) {
      failure(s, error);
    }
  });
  k.on('error', (error) => {
    st(s).error ??= error; // 'close' follows
  });
  // One listener for all that follows the socket's close (a server's bookkeeping
  // included): each listener, and a `once` wrapper, is a few objects per connection.
  k.on('close', () => {
    gone(s, failure);
    left?.(s);
  });
  return s;
}

/** Runs `step` (which may run the pipeline's code); what it throws fails the connection. */
function guarded(s: Process, failure: Failure, step: () => void): void {
  try {
    step();
  } catch (error) {
    failure(s, error);
  }
}

function startReading(s: Process, failure: Failure): void {
  const k = sock(s);
  const clock = s.params.clock as Clock | undefined;
  k.on('data', (chunk: Buffer) => {
    if (st(s).cut) return;
    if (clock) st(s).seenIn = clock.sweeps;
    // As `guarded`, written out: this runs per chunk, and a closure per chunk is garbage.
    let all = true;
    try {
      all = push(s, chunk);
    } catch (error) {
      failure(s, error);
    }
    if (!all && !st(s).gone) {
      k.pause();
      void retry(s, failure);
    }
  });
  k.on('end', () => {
    st(s).eof = true;
    if (!st(s).pending) guarded(s, failure, () => s.end(0));
  });
  k.resume();
}

/** Writes a received chunk into the engine; false (and the rest kept) if the far end did not take it all. */
function push(s: Process, chunk: Uint8Array): boolean {
  if (!s.isConnected(0) || life.peerClosed(s, 0)) return true; // nobody will read it
  if (s.def === connection && s.isEnded(0)) return true; // the pipeline reads no more
  let at = 0;
  while (at < chunk.length) {
    // Looked up per chunk: a move changes the far end, and with it the entry.
    const spec = into(s);
    const k = s.entry(spec, 'admittance').ready()(chunk.length - at);
    // The pipeline may have had enough half-way through the chunk (a `take`): the rest is dropped.
    if (k === 0) {
      if (s.def === connection && s.isEnded(0)) return true;
      break;
    }
    s.entry(spec, 'flow').ready()(chunk, at, k);
    at += k;
  }
  if (at === chunk.length) return true;
  st(s).pending = at === 0 ? chunk : chunk.subarray(at);
  return false;
}

async function retry(s: Process, failure: Failure): Promise<void> {
  const state = st(s);
  if (state.waiting) return;
  state.waiting = true;
  try {
    while (state.pending) {
      // The process's own notice, not a lifecycle wait: it comes once per chunk
      // under backpressure. It also comes when the port ends, closes or is
      // disconnected, and then push() drops what nobody will read.
      await s.whenWritableAgain(0);
      // The socket may have gone meanwhile, and dropped what was held.
      const chunk = state.pending;
      if (chunk === null) break;
      state.pending = null;
      let all = true;
      guarded(s, failure, () => (all = push(s, chunk)));
      if (!all && state.gone) state.pending = null;
    }
  } finally {
    state.waiting = false;
  }
  if (state.gone || state.cut) return;
  if (state.eof) guarded(s, failure, () => s.end(0));
  else sock(s).resume();
}

/**
 * The socket closed: the engine sees end of stream (a clean one only if the
 * client sent FIN and everything it sent was handed on; otherwise a reset),
 * the port closes, and the process goes once the connection is over.
 */
function gone(s: Process, failure: Failure): void {
  const state = st(s);
  if (state.gone) return;
  state.gone = true;
  if (state.pending !== null) state.dropped = true;
  state.pending = null;
  if (!life.exists(s)) return;
  const truncated = !state.eof || state.dropped || state.error !== undefined;
  if (s.def === connection) {
    // The light path: the pipeline sees the end of what came in, then the connection is over.
    if (s.isConnected(0)) guarded(s, failure, () => s.end(0, truncated ? life.resetEnd(state.error) : undefined));
    // Whether the pipeline sent its last cleanly, and nothing cut the connection: then its instance may serve the next one.
    const clean = !truncated && !state.cut && s.endReason('in')?.reason === 'end';
    if (life.exists(s)) s.remove();
    if (state.started) (s.params.over as Over)(s, clean);
    return;
  }
  if (!s.isConnected('net')) {
    s.remove();
    return;
  }
  guarded(s, failure, () => {
    // Writers blocked on the socket may go on: what they write now is dropped.
    s.writableAgain('net');
    s.end('net', truncated ? life.resetEnd(state.error) : undefined);
  });
  // The process goes once the other end has closed too (it is dedicated to its connection).
  if (life.exists(s)) life.close(s, 'net');
  // Its socket no longer keeps it (nor the port serving it) alive: if they are
  // still here, the container watches them as it watches any process.
  if (life.exists(s)) {
    const far = s.farProcess(0);
    if (far !== undefined) s.io.letGo(far);
    s.io.letGo(s);
  }
}

/**
 * Fails one connection: the client sees a reset, the engine side sees its
 * stream end with the error, and the port serving it (a relay with its
 * pipeline, or a handler's port) is abandoned, so the connection is over once
 * the socket has closed. Other connections are untouched.
 */
function resetWith(s: Process, error: unknown): void {
  const state = st(s);
  state.pending = null;
  reset(s);
  if (!life.exists(s) || !s.isConnected(0)) return;
  try {
    s.end(0, life.errorEnd(error));
  } catch {
    // The pipeline failed again on its way down: it is being abandoned anyway.
  }
  if (s.def === connection) return; // the light path: the process goes with the socket
  // A pipeline that threw half-way may never end its stream back to us: the port serving it closes now.
  const far = s.peer('net')?.process;
  if (far !== undefined && !(far.def === endpoint && far.params.listening === true)) abandon(far, error);
}

// ---------------------------------------------------------------- server

export interface TcpServerOptions extends ServeOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  backlog?: number;
  /** Node drops connections beyond this many (a hard limit before the engine sees them). */
  maxConnections?: number;
  /** TCP_NODELAY on accepted sockets (default false, as in Node). */
  noDelay?: boolean;
  highWater?: number;
  /**
   * Serve a `{ pipe }` server's connections on the light path (the default):
   * each connection is its socket and an instance of the pipeline, with no
   * listening port, move or dedicated relay. `false` serves them through the
   * server pattern, like a handler's connections.
   */
  direct?: boolean;
  /**
   * Milliseconds an accepted connection may go without a byte moving either
   * way before it is reset (0: never). Default: 60,000 when `concurrency` is
   * set (idle clients must not hold every slot), otherwise 0.
   */
  idleTimeout?: number;
  /**
   * Milliseconds an accepted connection may wait for its client's next bytes
   * (while the server would take them, and the client has not sent FIN)
   * before it is reset (0: never). Default: 30,000 when `concurrency` is set,
   * otherwise 0.
   */
  readTimeout?: number;
}

/** Default timeouts of a server with a concurrency limit, in milliseconds. */
export const DEFAULT_IDLE_TIMEOUT = 60_000;
export const DEFAULT_READ_TIMEOUT = 30_000;

/**
 * A TCP server on the server pattern: every accepted socket becomes a socket
 * process that connects (waiting in line) to the listening port; each
 * connection moves to a dedicated port, which `handler` serves, or which is
 * attached to the pipeline given as `{ pipe }`.
 */
export async function tcpServer(io: IO, handler: Serve, options: TcpServerOptions = {}): Promise<TcpServer> {
  const server = new TcpServer(io, handler, options);
  await server.listening;
  return server;
}

export class TcpServer {
  readonly listen: Port;
  /** Counts connections, pauses and resumes accepting (the server pattern's acceptor, or the light path's admission). */
  readonly acceptor: Acceptor | Admission;
  readonly server: Server;
  /** Socket processes alive (waiting for the listener, or connected). */
  readonly sockets = new ConnectionSet<Process | Echo>();
  /** Sockets the listener no longer exists for (closed before they were accepted). */
  refused = 0;
  /** Connections reset by a timeout. */
  timedOut = 0;
  readonly listening: Promise<void>;
  readonly idleTimeout: number;
  readonly readTimeout: number;
  private readonly highWater: number;
  /** The light path with an empty pipeline: connections are echoes, without a process. */
  private readonly empty: boolean;
  /** The light path with a pipeline that is a line of steps: its instances, reused connection after connection. */
  private readonly instances: Instances | undefined;
  private readonly clock: Clock = { sweeps: 0 };
  private readonly sweeper: ReturnType<typeof setInterval> | undefined;
  /** Sweeps after which a quiet connection has timed out (Infinity: never). */
  private readonly idleSweeps: number;
  private readonly readSweeps: number;

  constructor(readonly io: IO, handler: Serve, options: TcpServerOptions = {}) {
    this.highWater = options.highWater ?? SOCKET_HIGH_WATER;
    const limited = options.concurrency !== undefined && Number.isFinite(options.concurrency);
    this.idleTimeout = timeout('idleTimeout', options.idleTimeout ?? (limited ? DEFAULT_IDLE_TIMEOUT : 0));
    this.readTimeout = timeout('readTimeout', options.readTimeout ?? (limited ? DEFAULT_READ_TIMEOUT : 0));
    // One timer per server, not per connection: it sweeps four times per shortest
    // timeout, and each socket notes the sweep count when bytes move. A quiet
    // connection is reset between its timeout and a quarter more.
    const shortest = Math.min(this.idleTimeout || Infinity, this.readTimeout || Infinity);
    const period = Math.max(1, shortest / 4);
    this.idleSweeps = this.idleTimeout ? Math.ceil(this.idleTimeout / period) : Infinity;
    this.readSweeps = this.readTimeout ? Math.ceil(this.readTimeout / period) : Infinity;
    this.listen = Port.listen(io);
    io.pin(this.listen.process);
    const direct = typeof handler !== 'function' && options.direct !== false;
    const probe = direct ? probeOf(io, handler.pipe) : undefined;
    this.empty = probe === 'empty';
    this.instances = probe instanceof Instances ? probe : undefined;
    this.acceptor = direct ? new Admission(options, (c) => this.start(c, handler.pipe)) : serveLoop(this.listen, handler, options);
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: options.noDelay ?? false }, (k) => this.accept(k));
    if (options.maxConnections !== undefined) this.server.maxConnections = options.maxConnections;
    if (Number.isFinite(shortest)) {
      this.sweeper = setInterval(() => this.sweep(), period);
      this.sweeper.unref?.();
    }
    this.listening = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: options.backlog }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  get port(): number {
    return this.address.port;
  }

  /** Connections that failed (a handler or pipeline threw), as the acceptor counts them. */
  get errors(): readonly unknown[] {
    return this.acceptor.errors;
  }

  pause(): void {
    this.acceptor.pause();
  }

  resume(): void {
    this.acceptor.resume();
  }

  /** A pipeline failed while its socket handed it data or an end of stream: that connection only is reset. */
  private readonly failure: Failure = (s, error) => {
    resetWith(s, error);
    this.acceptor.report(error);
  };

  /** A socket process's socket has closed: the server no longer counts it. */
  private readonly forget = (s: Process): void => {
    this.sockets.delete(s);
  };

  /** A started connection on the light path is over: its slot is given back, and its pipeline's instance kept for the next. */
  private readonly over: Over = (c, clean) => {
    this.instances?.release(c, clean);
    (this.acceptor as Admission).over();
  };

  private accept(k: Socket): void {
    if (this.acceptor instanceof Admission) {
      const c = this.empty ? echo(k, this.highWater, this.clock, this.acceptor.over) : socketProcess(this.io, k, this.highWater, this.failure, this.clock, this.over, this.forget);
      this.sockets.add(c);
      if (c instanceof Echo) k.once('close', () => this.sockets.delete(c));
      this.acceptor.offer(c);
      return;
    }
    const s = socketProcess(this.io, k, this.highWater, this.failure, this.clock, undefined, this.forget);
    // Its socket's listeners keep it alive until the socket closes (then `gone` lets go of it).
    this.io.hold(s);
    this.sockets.add(s);
    const connected = (): void => {
      life.dedicate(s, 'net');
      startReading(s, this.failure);
    };
    // A free listener has nobody in line (the next in line is connected in the
    // same step that frees it): connect at once, and the acceptor, if ready,
    // accepts in the same step, without a round through a promise.
    if (this.listen.state === 'free') {
      (this.acceptor as Acceptor).connectAndAccept(s, 'net', connected);
      return;
    }
    // A client that gives up while in line takes its socket process along, and its connect fails.
    life.connectWhenFree(s, 'net', this.listen.process, this.listen.number).then(
      connected,
      () => {
        // The listener went away (or the client gave up) before the connection was accepted.
        if (!k.destroyed) this.refused++;
        k.destroy();
        if (life.exists(s)) s.remove();
      },
    );
  }

  /** The light path: attaches an instance of the pipeline to the connection and starts reading. */
  private start(c: Process | Echo, pipe: Pipeline): void {
    const state = st(c);
    if (state.gone) return;
    state.started = true;
    if (c instanceof Echo) {
      startEcho(c);
      return;
    }
    guarded(c, this.failure, () => {
      if (this.instances !== undefined) this.instances.attach(c);
      else pipe(new Chain<unknown>(this.io, c, c)).tail.connect('out', c, 'in');
      startReading(c, this.failure);
    });
  }

  /** Resets the accepted connections that have been quiet for too long. */
  private sweep(): void {
    const now = ++this.clock.sweeps;
    for (const s of this.sockets) {
      const state = st(s);
      // Waiting to be accepted is the server's doing, and so is a client held back by backpressure.
      if (state.gone || state.cut || !this.accepted(s)) {
        state.seenIn = state.seenOut = now;
        continue;
      }
      if (state.pending !== null || state.eof) state.seenIn = now;
      const quiet = now - Math.max(state.seenIn, state.seenOut);
      if (quiet >= this.idleSweeps) this.expire(s, `idle for ${this.idleTimeout} ms`);
      else if (now - state.seenIn >= this.readSweeps) this.expire(s, `sent nothing for ${this.readTimeout} ms`);
    }
  }

  private accepted(s: Process | Echo): boolean {
    if (s instanceof Echo || s.def === connection) return st(s).started === true;
    const far = s.peer('net');
    return far !== undefined && far.process !== this.listen.process;
  }

  private expire(s: Process | Echo, what: string): void {
    this.timedOut++;
    const k = sock(s);
    const error = new TimeoutError(`${s instanceof Echo ? 'connection' : s.label} (${k.remoteAddress}:${k.remotePort}): ${what}; the connection was reset`);
    if (s instanceof Echo) reset(s); // nothing reads its stream: the reset is all there is to do
    else resetWith(s, error);
  }

  /** Stops listening and accepting; open connections are cut. Resolves once the server has closed. */
  close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.acceptor.close();
    this.instances?.close();
    this.listen.destroy();
    this.io.unpin(this.listen.process);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) sock(s).destroy();
    return closed;
  }
}

/**
 * What `pipe` builds, learnt once when the server starts, on a probe (a
 * connection process without a socket, dropped afterwards): an empty pipeline
 * (what comes in goes back out as it is); a line of steps, served by instances
 * (see `Instances`; the one built on the probe is the first, if building it
 * ended nothing); or anything else, built afresh for each connection.
 */
function probeOf(io: IO, pipe: Pipeline): 'empty' | Instances | undefined {
  const probe = new Process(io, connection, { socket: undefined, highWater: 0, clock: undefined, over: undefined, failure: undefined });
  try {
    const tail = pipe(new Chain<unknown>(io, probe, probe)).tail;
    if (tail === probe && !probe.isConnected('out')) return 'empty';
    tail.connect('out', probe, 'in');
    const steps = lineOfSteps(probe);
    if (steps === undefined) return undefined;
    const untouched = steps.every((p) => ['in', 'out'].every((port) => !p.isEnded(port) && p.sentReason(port) === undefined));
    probe.remove();
    const instances = new Instances(pipe);
    if (untouched) instances.keep(steps);
    return instances;
  } finally {
    if (life.exists(probe)) probe.remove();
  }
}

/** The steps from c's `out` round to its `in`, if they form a line of steps with one `in` and one `out` each. */
function lineOfSteps(c: Process): Process[] | undefined {
  const steps: Process[] = [];
  let at = c.peer('out');
  while (at !== undefined && at.process !== c) {
    const p = at.process;
    if (at.port !== 'in' || p.def.ports.length !== 2 || p.def.ports[1] !== 'out' || p.def.range !== undefined || steps.includes(p)) return undefined;
    steps.push(p);
    at = p.peer('out');
  }
  return at !== undefined && at.port === 'in' && steps.length > 0 ? steps : undefined;
}

/** Instances kept idle at most; beyond that a finished instance is left to the collector. */
const IDLE_INSTANCES = 1024;

/**
 * Instances of a `{ pipe }` server's pipeline when it is a line of steps. An
 * instance serves one connection at a time. Once that connection is over, if
 * its pipeline finished cleanly (every step sent its last, none failed, so
 * none has work left), the instance is made as new and kept for the next
 * connection: its links are undone (ends of stream are forgotten) and each
 * step's state starts again from its initial value. The next connection links
 * it up again in the order `pipe` did, so steps that act on being connected
 * act again. Its processes, entries and compiled code stay: a connection costs
 * its own connection process, the links and the state. `pipe` runs once per
 * instance, not once per connection; an instance whose connection failed, was
 * reset or timed out is dropped.
 */
class Instances {
  private readonly idle: Process[][] = [];
  private readonly serving = new WeakMap<Process, Process[]>();
  private closed = false;

  constructor(private readonly pipe: Pipeline) {}

  /** Attaches an instance to connection `c`: a kept one, or one `pipe` builds now. */
  attach(c: Process): void {
    let steps = this.idle.pop();
    if (steps === undefined) {
      this.pipe(new Chain<unknown>(c.io, c, c)).tail.connect('out', c, 'in');
      steps = lineOfSteps(c);
      if (steps !== undefined) this.serving.set(c, steps);
      return;
    }
    c.connect('out', steps[0], 'in');
    for (let i = 0; i + 1 < steps.length; i++) steps[i].connect('out', steps[i + 1], 'in');
    steps[steps.length - 1].connect('out', c, 'in');
    this.serving.set(c, steps);
  }

  /** Connection `c` is over (and removed): its instance is kept if it finished cleanly. */
  release(c: Process, clean: boolean): void {
    const steps = this.serving.get(c);
    if (steps === undefined) return;
    this.serving.delete(c);
    if (clean && !this.closed && this.idle.length < IDLE_INSTANCES && finished(steps)) this.keep(steps);
  }

  /** The server closed: the instances kept idle go, and none is kept from now on. */
  close(): void {
    this.closed = true;
    for (const steps of this.idle.splice(0)) for (const p of steps) p.remove();
  }

  /** Makes an instance whose steps have no work left as new, and keeps it. */
  keep(steps: Process[]): void {
    for (const p of steps) {
      p.disconnect('out');
      for (const name of p.def.stateNames) p.state[name] = p.def.stateInit[name](p.params);
    }
    this.idle.push(steps);
  }
}

/** Every step is still in place, free at both ends of the line, failed nowhere, and sent its last cleanly. */
function finished(steps: Process[]): boolean {
  const last = steps.length - 1;
  if (steps[0].isConnected('in') || steps[last].isConnected('out')) return false;
  for (let i = 0; i <= last; i++) {
    const p = steps[i];
    if (!life.exists(p) || p.fault !== undefined) return false;
    if (i < last && (p.peer('out')?.process !== steps[i + 1] || p.sentReason('out')?.reason !== 'end')) return false;
  }
  return true;
}

/**
 * A connection of a server whose pipeline is empty: an instance of that
 * pipeline has no state and no code, so what the client sends goes straight
 * back, with the same backpressure (the socket is paused while more than
 * `highWater` bytes wait to be sent), half-close (the client's FIN is answered
 * with FIN once everything is echoed), admission, timeouts and resets as any
 * other connection on the light path. Nothing reads its stream, so no reason
 * needs to reach anyone: a reset just ends it.
 */
export class Echo {
  readonly state: Record<string, unknown> = { ...echoState };
  readonly params: Record<string, unknown>;

  constructor(socket: Socket, highWater: number, clock: Clock) {
    this.params = { socket, highWater, clock };
    this.state.seenIn = this.state.seenOut = clock.sweeps;
  }
}

const echoState: SocketState = { pending: null, eof: false, gone: false, waiting: false, error: undefined, dropped: false, cut: false, seenIn: 0, seenOut: 0, started: false, slot: -1 };

function echo(k: Socket, highWater: number, clock: Clock, over: () => void): Echo {
  const e = new Echo(k, highWater, clock);
  k.on('error', () => undefined); // 'close' follows
  k.on('close', () => {
    const state = st(e);
    state.gone = true;
    if (state.started) over();
  });
  return e;
}

function startEcho(e: Echo): void {
  const k = sock(e);
  const state = st(e);
  const clock = e.params.clock as Clock;
  const highWater = e.params.highWater as number;
  const resume = (): void => {
    if (!state.cut && !state.gone) k.resume();
  };
  k.on('data', (chunk: Buffer) => {
    if (state.cut) return;
    state.seenIn = state.seenOut = clock.sweeps;
    k.write(chunk);
    if (k.writableLength >= highWater) {
      k.pause();
      k.once('drain', resume);
    }
  });
  k.on('end', () => {
    state.eof = true;
    if (!state.cut) k.end();
  });
  k.resume();
}

/**
 * The light path's acceptor: it counts connections, bounds how many are served
 * at once and pauses. A connection beyond the bound (or while paused) waits
 * unread (its socket paused, so TCP holds the client back) in a queue, and is
 * started when a slot frees; one that closes meanwhile just leaves.
 */
export class Admission {
  /** Connections accepted so far. */
  accepted = 0;
  /** Connections being served (accepted, not yet over). */
  active = 0;
  /** Errors thrown by pipelines, each of which ended its connection (the last 100). */
  readonly errors: unknown[] = [];
  /** Connections that ended because their pipeline failed. */
  failed = 0;
  private paused: boolean;
  private closed = false;
  private readonly concurrency: number;
  private readonly waiting: (Process | Echo)[] = [];
  private head = 0;

  constructor(private readonly options: ServeOptions, private readonly start: (c: Process | Echo) => void) {
    this.paused = options.paused ?? false;
    this.concurrency = options.concurrency ?? Infinity;
    if (!(this.concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${this.concurrency}`);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.admit();
  }

  close(): void {
    this.closed = true;
    this.waiting.length = this.head = 0;
  }

  /** A new connection: started now, or queued. */
  offer(c: Process | Echo): void {
    if (this.head === this.waiting.length && this.ready) this.begin(c);
    else this.waiting.push(c);
  }

  /** A started connection is over. */
  readonly over = (): void => {
    this.active--;
    this.admit();
  };

  /** Reports a failed connection. */
  readonly report = (error: unknown): void => reportFailure(this, this.options, error, 'tcpServer');

  private get ready(): boolean {
    return !this.paused && !this.closed && this.active < this.concurrency;
  }

  private admit(): void {
    while (this.ready && this.head < this.waiting.length) {
      const c = this.waiting[this.head++];
      if (this.head === this.waiting.length) this.waiting.length = this.head = 0;
      // One that left while it waited is gone already.
      if (!st(c).gone) this.begin(c);
    }
  }

  private begin(c: Process | Echo): void {
    this.accepted++;
    this.active++;
    this.start(c);
  }
}

function timeout(name: string, ms: number): number {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`${name} must be a number of milliseconds (0: none), got ${ms}`);
  return ms;
}

// ---------------------------------------------------------------- client

export interface TcpConnectOptions extends PortOptions {
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  highWater?: number;
}

/**
 * Connects to a TCP server and returns an endpoint whose peer is the socket:
 * write into it, read from it, or attach a pipeline with `pipe`. `end()` sends
 * FIN (the server may still reply); the server's FIN is the port's end of stream.
 */
export async function tcpConnect(io: IO, options: TcpConnectOptions): Promise<Port> {
  const k = netConnect({ port: options.port, host: options.host ?? '127.0.0.1', allowHalfOpen: true });
  k.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    k.once('connect', () => {
      k.off('error', reject);
      resolve();
    });
    k.once('error', reject);
  });
  k.pause();
  // A client's own pipeline that fails resets its connection; the error ends the stream into it.
  const s = socketProcess(io, k, options.highWater ?? SOCKET_HIGH_WATER, resetWith);
  const c = Port.create(io, options);
  life.connect(s, 'net', c.process, c.number);
  life.dedicate(s, 'net');
  startReading(s, resetWith);
  return c;
}

export type { Elements };
