// Connecting to the cluster's NATS servers with a deadline.
//
// The client's own connect() gives up at the first refused connection and,
// against a peer that accepts but never speaks, waits for its own timeout; a
// host starting before its server, or against a wrong address, must instead
// retry for a bounded time and then say clearly what it tried. Once connected,
// the client reconnects for ever (a server killed and restarted on the same
// store comes back at the same address), and membership decides what an outage
// means.
//
// Each attempt first asks the servers itself for the greeting every NATS
// server sends on accept (an INFO line), on a socket it always closes: the
// client, when its connect times out against a peer that accepts and stays
// silent, leaves that socket open, and a retry loop would pile them up.
import { connect as tcpConnect } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface ConnectOptions {
  /** NATS server URLs, e.g. "nats://127.0.0.1:4222". */
  servers: string | string[];
  /** Give up connecting after this many ms (default 10 000). */
  deadlineMs?: number;
  /** Wait for one attempt at most this many ms (default 2 000, never past the deadline). */
  attemptTimeoutMs?: number;
  /** Client name shown by the server's monitoring. */
  name?: string;
}

/** No server could be reached before the deadline. */
export class ClusterUnreachableError extends Error {
  constructor(
    readonly servers: string[],
    readonly attempts: number,
    readonly deadlineMs: number,
    override readonly cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cluster unreachable: no NATS server at ${servers.join(', ')} accepted within ${deadlineMs} ms (${attempts} attempts; last: ${reason})`);
    this.name = 'ClusterUnreachableError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function connectToCluster(options: ConnectOptions): Promise<NatsConnection> {
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  if (servers.length === 0) throw new RangeError('cluster: no servers given');
  const deadlineMs = options.deadlineMs ?? 10_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 2_000;
  const deadline = Date.now() + deadlineMs;
  let attempts = 0;
  let lastError: unknown;
  let backoff = 50;
  while (true) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new ClusterUnreachableError(servers, attempts, deadlineMs, lastError);
    attempts++;
    try {
      const timeout = Math.max(1, Math.min(attemptTimeoutMs, remaining));
      await anyGreets(servers, timeout);
      return await connect({
        servers,
        name: options.name,
        timeout,
        // Async stack traces cost about two thirds of JetStream's publish rate.
        noAsyncTraces: true,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        // Notice a dead server within seconds rather than the default minutes.
        pingInterval: 2_000,
        maxPingOut: 2,
      });
    } catch (error) {
      lastError = error;
    }
    await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
    backoff = Math.min(backoff * 2, 1_000);
  }
}

/** Resolves when one of the servers greets with INFO within `timeoutMs`; rejects with the reasons otherwise. */
function anyGreets(servers: string[], timeoutMs: number): Promise<void> {
  return Promise.any(servers.map((server) => greets(server, timeoutMs))).then(
    () => undefined,
    (error: AggregateError) => {
      throw error.errors.length === 1 ? error.errors[0] : new Error(error.errors.map((e: Error) => e.message).join('; '));
    },
  );
}

function greets(server: string, timeoutMs: number): Promise<void> {
  const url = new URL(server.includes('://') ? server : `nats://${server}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 4222 : Number(url.port);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    let text = '';
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => finish(new Error(`${host}:${port} did not greet within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (data) => {
      text += data.toString('latin1');
      if (text.startsWith('INFO ')) finish();
      else if (text.length >= 5) finish(new Error(`${host}:${port} is not a NATS server (it did not greet with INFO)`));
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`${host}:${port} closed the connection without greeting`)));
  });
}
