// Connecting with a deadline: an unreachable cluster is a clear error after a
// bounded number of attempts, never a hang, and the attempts leave no socket open.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClusterUnreachableError, connectToCluster } from '../../cluster/connect.js';
import { joinCluster } from '../../cluster/membership.js';
import { describeNats } from './server.js';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// Needs no server, but shares the [nats] tag: without the client's peer it proves little.
describeNats('cluster unreachable at start', () => {
  let silent: Server;
  const open = new Set<Socket>();
  let accepted = 0;
  beforeAll(async () => {
    // Accepts connections and never says a word: a wrong port, a stuck proxy.
    silent = createServer((socket) => {
      accepted++;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('nothing listening: a clear error after several attempts, within the deadline', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const error = await joinCluster({ servers: url, deadlineMs: 800 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    const unreachable = error as ClusterUnreachableError;
    expect(unreachable.message).toContain(`no NATS server at ${url} accepted within 800 ms`);
    expect(unreachable.message).toMatch(/ECONNREFUSED/);
    expect(unreachable.attempts).toBeGreaterThan(1);
  });

  it('a peer that accepts but never speaks: the same error, no hang, and no socket left open', async () => {
    const url = `nats://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const error = await connectToCluster({ servers: url, deadlineMs: 800, attemptTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).toContain(`no NATS server at ${url}`);
    expect((error as Error).message).toContain('did not greet within');
    expect(accepted).toBeGreaterThan(1);
    // Every attempt's socket is closed by the time the error is reported (the close reaches the server a turn later).
    for (let turn = 0; turn < 10_000 && open.size > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(open.size).toBe(0);
  });

  it('no servers given is refused at once', async () => {
    await expect(connectToCluster({ servers: [] })).rejects.toThrow('cluster: no servers given');
  });
});
