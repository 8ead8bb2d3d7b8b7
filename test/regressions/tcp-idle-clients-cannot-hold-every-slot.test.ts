// Regression: a server limited to eight connections could be blocked for good
// by eight clients that connect and send nothing. Accepted connections now
// have idle and read timeouts (on by default when `concurrency` is set): a
// quiet connection is reset and its slot goes to the next client. The server's
// timeout sweep runs on a timer; the test drives it with fake timers, so
// nothing here waits for real time.
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IO } from '../../engine/io.js';
import '../../processes/index.js';
import { DEFAULT_IDLE_TIMEOUT, DEFAULT_READ_TIMEOUT, TimeoutError, tcpServer } from '../../net/tcp.js';
import { client, closeAll, modes, server, until } from './tcp-helpers.js';

describe('idle and read timeouts', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('are on by default for a server with a concurrency limit, off without one', async () => {
    const limited = await tcpServer(new IO(), { pipe: (c) => c }, { concurrency: 8 });
    expect([limited.idleTimeout, limited.readTimeout]).toEqual([DEFAULT_IDLE_TIMEOUT, DEFAULT_READ_TIMEOUT]);
    const open = await tcpServer(new IO(), { pipe: (c) => c });
    expect([open.idleTimeout, open.readTimeout]).toEqual([0, 0]);
    await closeAll(limited);
    await closeAll(open);
  });

  for (const mode of modes) {
    it(`eight idle clients cannot block a server limited to eight (${mode})`, async () => {
      const errors: unknown[] = [];
      const s = await server(mode, (c) => c, { concurrency: 8, onError: (e) => errors.push(e) });
      const idle = Array.from({ length: 8 }, () => client(s.port));
      await until(() => s.acceptor.active === 8);
      const ninth = client(s.port);
      await ninth.connected;
      ninth.socket.write('served at last');
      await until(() => s.sockets.size === 9);
      expect(s.acceptor.active).toBe(8);

      vi.advanceTimersByTime(DEFAULT_READ_TIMEOUT * 1.25 + 1);
      for (const c of idle) {
        const outcome = await c.outcome;
        expect(outcome.error?.code).toBe('ECONNRESET');
      }
      await until(() => ninth.socket.bytesRead === 14);
      ninth.socket.end();
      expect(await ninth.outcome).toMatchObject({ received: 'served at last', ended: true, error: undefined });
      expect(s.timedOut).toBe(8);
      expect(errors).toEqual([]); // a timeout is not a failure of the server's code
      await closeAll(s);
    }, 30_000);
  }

  it('a client that stops sending is reset after the read timeout, while one that keeps talking stays', async () => {
    const seen: unknown[] = [];
    const s = await tcpServer(new IO(), async (p) => {
      await p.readAll();
      seen.push(p.endReason);
      p.close();
    }, { readTimeout: 1_000, idleTimeout: 0 });
    const quiet = client(s.port);
    const chatty = client(s.port);
    await Promise.all([quiet.connected, chatty.connected]);
    quiet.socket.write('hello');
    await until(() => s.acceptor.active === 2);
    for (let i = 0; i < 8; i++) {
      chatty.socket.write('.');
      await until(() => [...s.sockets].some((k) => (k.params.socket as Socket).remotePort === chatty.socket.localPort && (k.params.socket as Socket).bytesRead === i + 1));
      vi.advanceTimersByTime(250);
    }
    expect((await quiet.outcome).error?.code).toBe('ECONNRESET');
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ reason: 'error' });
    expect((seen[0] as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    expect(chatty.socket.destroyed).toBe(false);
    chatty.socket.end();
    await chatty.outcome;
    expect(s.timedOut).toBe(1);
    await closeAll(s);
  }, 30_000);
});
