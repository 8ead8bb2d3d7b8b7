// Helpers for the TCP fault regressions: plain Node clients (so a test can
// reset a connection), and waits on events and event-loop turns, never on a clock.
import { connect, type Socket } from 'node:net';
import { IO } from '../../engine/io.js';
import '../../processes/index.js';
import type { Chain } from '../../api/chain.js';
import type { Port } from '../../net/endpoints.js';
import { tcpServer, type TcpServer, type TcpServerOptions } from '../../net/tcp.js';

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits (event-loop turns, not time) until `cond()` holds; fails after `turns`. */
export async function until(cond: () => boolean, turns = 50_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error('condition not reached');
}

export type { TcpServer };

export type Pipeline = (c: Chain<unknown>) => Chain<unknown>;

/**
 * The ways to serve a pipeline, which every fault case must survive: `{ pipe }`
 * on the light path (the default; as given, and with one more step), `{ pipe }`
 * through the server pattern, and a handler that attaches the pipeline to its
 * dedicated port.
 */
export const modes = ['pipe', 'pipe with one more step', 'pipe via server pattern', 'handler'] as const;
export type Mode = (typeof modes)[number];

export function server(mode: Mode, pipeline: Pipeline, options: TcpServerOptions = {}, io = new IO()): Promise<TcpServer> {
  if (mode === 'handler') return tcpServer(io, (p: Port) => p.pipe(pipeline), options);
  // An empty pipeline is served without a process on the light path; one step more makes it a pipeline instance.
  if (mode === 'pipe with one more step') return tcpServer(io, { pipe: (c) => pipeline(c).map((x: unknown) => x) }, options);
  return tcpServer(io, { pipe: pipeline }, { ...options, direct: mode === 'pipe' });
}

/** How a plain client's connection ended. */
export interface Outcome {
  received: string;
  /** The server sent FIN (a clean end). */
  ended: boolean;
  /** The socket's error, if any (a reset: ECONNRESET). */
  error: (Error & { code?: string }) | undefined;
}

/** A plain Node client; `outcome` settles once its socket has closed. */
export function client(port: number): { socket: Socket; connected: Promise<void>; outcome: Promise<Outcome> } {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let ended = false;
  let error: Outcome['error'];
  socket.on('data', (b: Buffer) => chunks.push(b));
  socket.on('end', () => (ended = true));
  socket.on('error', (e) => (error = e));
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const outcome = new Promise<Outcome>((resolve) => socket.once('close', () => resolve({ received: Buffer.concat(chunks).toString(), ended, error })));
  return { socket, connected, outcome };
}

/** Sends `text`, half-closes, and resolves with what came back and how it ended. */
export async function ask(port: number, text: string): Promise<Outcome> {
  const c = client(port);
  await c.connected;
  c.socket.end(text);
  const outcome = await c.outcome;
  return outcome;
}

export async function closeAll(server: TcpServer): Promise<void> {
  await server.close();
  await until(() => server.sockets.size === 0);
}
