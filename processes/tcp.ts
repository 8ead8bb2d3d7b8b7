// TCP: a socket process, a server built on the server pattern, and a client.
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
// the port (ψx); once both ends have closed, the connection is over and the
// socket process leaves the container.
//
// The server accepts each socket into a socket process, which waits in line for
// the listening port; the server pattern moves each connection to a dedicated
// port and `serve` attaches the connection's pipeline to it. Pipelines of one
// shape compile once for all connections.
import { createServer, connect as netConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { admitWith, chunk, define } from '../engine/definition.js';
import type { Elements } from '../engine/flowable.js';
import type { IO } from '../engine/io.js';
import * as life from '../engine/ports.js';
import { Process } from '../engine/process.js';
import { Acceptor, Port, serve as serveLoop, type PortOptions, type Serve, type ServeOptions } from './net.js';

/** A socket process admits whole writes while fewer than this many bytes wait to be sent. */
export const SOCKET_HIGH_WATER = 64 * 1024;

interface SocketState {
  /** Received and not yet admitted by the far end (the socket is paused meanwhile). */
  pending: Uint8Array | null;
  /** The remote end sent FIN. */
  eof: boolean;
  /** The socket closed for good. */
  gone: boolean;
  waiting: boolean;
}

function st(s: Process): SocketState {
  return s.state as unknown as SocketState;
}

function sock(s: Process): Socket {
  return s.params.socket as Socket;
}

export const socket = define('socket', {
  ports: ['net'],
  inputs: ['net'],
  params: ['socket', 'highWater'],
  state: { pending: () => null as Uint8Array | null, eof: () => false, gone: () => false, waiting: () => false },
  // The engine side sent its last: FIN once the queued data is out.
  onEnd: (s) => {
    const k = sock(s);
    if (!k.destroyed && !k.writableEnded) k.end();
  },
})
  .admittance('>net', admitWith((s, n) => {
    if (life.isClosed(s, 0)) return 0;
    // After the socket went away the data has nowhere to go: it is taken and dropped.
    if (st(s).gone) return n;
    return sock(s).writableLength < (s.params.highWater as number) ? n : 0;
  }))
  .flow('>net', chunk((s, xs, offset, n) => {
    const k = sock(s);
    if (st(s).gone || k.destroyed || k.writableEnded) return n;
    if (xs instanceof Uint8Array) k.write(offset === 0 && n === xs.length ? xs : xs.subarray(offset, offset + n));
    else for (const chunk of byteChunks(xs, offset, n)) k.write(chunk);
    return n;
  }));

/** Byte values, byte chunks and strings as byte chunks. */
function byteChunks(xs: unknown[], offset: number, n: number): Uint8Array[] {
  if (typeof xs[offset] === 'number') return [Uint8Array.from(xs.slice(offset, offset + n) as number[])];
  return xs.slice(offset, offset + n).map((x) => (x instanceof Uint8Array ? x : Buffer.from(String(x), 'utf8')));
}

/** A socket process for `k`; it reads nothing until `startReading` (once its port is connected). */
function socketProcess(io: IO, k: Socket, highWater: number): Process {
  const s = new Process(io, socket, { socket: k, highWater });
  k.on('drain', () => s.writableAgain('net'));
  k.on('error', () => undefined); // 'close' follows
  k.on('close', () => gone(s));
  return s;
}

function startReading(s: Process): void {
  const k = sock(s);
  k.on('data', (chunk: Buffer) => {
    if (!push(s, chunk)) {
      k.pause();
      void retry(s);
    }
  });
  k.on('end', () => {
    st(s).eof = true;
    if (!st(s).pending) s.end('net');
  });
  k.resume();
}

/** Writes a received chunk into the engine; false (and the rest kept) if the far end did not take it all. */
function push(s: Process, chunk: Uint8Array): boolean {
  if (!s.isConnected('net') || life.peerClosed(s, 'net')) return true; // nobody will read it
  let at = 0;
  while (at < chunk.length) {
    // Looked up per chunk: a move changes the far end, and with it the entry.
    const k = s.entry('net>', 'admittance').ready()(chunk.length - at);
    if (k === 0) break;
    s.entry('net>', 'flow').ready()(chunk, at, k);
    at += k;
  }
  if (at === chunk.length) return true;
  st(s).pending = at === 0 ? chunk : chunk.subarray(at);
  return false;
}

async function retry(s: Process): Promise<void> {
  const state = st(s);
  if (state.waiting) return;
  state.waiting = true;
  try {
    while (state.pending) {
      // The process's own notice, not a lifecycle wait: it comes once per chunk
      // under backpressure. It also comes when the port ends, closes or is
      // disconnected, and then push() drops what nobody will read.
      await s.whenWritable('net');
      const chunk = state.pending;
      state.pending = null;
      push(s, chunk);
    }
  } finally {
    state.waiting = false;
  }
  if (state.eof) s.end('net');
  else if (!state.gone) sock(s).resume();
}

/** The socket closed: the engine sees end of stream, the port closes, and the process goes once the connection is over. */
function gone(s: Process): void {
  const state = st(s);
  state.gone = true;
  state.pending = null;
  if (!life.exists(s)) return;
  if (!s.isConnected('net')) {
    s.remove();
    return;
  }
  // Writers blocked on the socket may go on: what they write now is dropped.
  s.writableAgain('net');
  s.end('net');
  // The process goes once the other end has closed too (it is dedicated to its connection).
  life.close(s, 'net');
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
}

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
  readonly acceptor: Acceptor;
  readonly server: Server;
  /** Socket processes alive (waiting for the listener, or connected). */
  readonly sockets = new Set<Process>();
  /** Sockets the listener no longer exists for (closed before they were accepted). */
  refused = 0;
  readonly listening: Promise<void>;
  private readonly highWater: number;

  constructor(readonly io: IO, handler: Serve, options: TcpServerOptions = {}) {
    this.highWater = options.highWater ?? SOCKET_HIGH_WATER;
    this.listen = Port.listen(io);
    io.pin(this.listen.process);
    this.acceptor = serveLoop(this.listen, handler, options);
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: options.noDelay ?? false }, (k) => this.accept(k));
    if (options.maxConnections !== undefined) this.server.maxConnections = options.maxConnections;
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

  pause(): void {
    this.acceptor.pause();
  }

  resume(): void {
    this.acceptor.resume();
  }

  private accept(k: Socket): void {
    const s = socketProcess(this.io, k, this.highWater);
    this.sockets.add(s);
    k.once('close', () => this.sockets.delete(s));
    const connected = (): void => {
      life.dedicate(s, 'net');
      startReading(s);
    };
    // A free listener has nobody in line (the next in line is connected in the
    // same step that frees it): connect at once, without a round through a promise.
    if (this.listen.state === 'free') {
      life.connect(s, 'net', this.listen.process, this.listen.number);
      connected();
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

  /** Stops listening and accepting; open connections are cut. Resolves once the server has closed. */
  close(): Promise<void> {
    this.acceptor.close();
    this.io.unpin(this.listen.process);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) sock(s).destroy();
    return closed;
  }
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
  const s = socketProcess(io, k, options.highWater ?? SOCKET_HIGH_WATER);
  const c = Port.create(io, options);
  life.connect(s, 'net', c.process, c.number);
  life.dedicate(s, 'net');
  startReading(s);
  return c;
}

export type { Elements };
