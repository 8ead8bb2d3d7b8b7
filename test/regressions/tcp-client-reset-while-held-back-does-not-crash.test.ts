// Regression: a client that reset its connection while its data was held back
// crashed the server. The socket's close handler dropped the held chunk, and the
// loop waiting to hand it on then read the dropped buffer (an uncaught error in
// a promise: the whole process went down). Held back means: the server paused,
// the server at its concurrency limit, or a handler slower than its client.
import { describe, expect, it } from 'vitest';
import type { Process } from '../../engine/process.js';
import type { Port } from '../../net/endpoints.js';
import { tcpServer } from '../../net/tcp.js';
import { IO } from '../../engine/io.js';
import { ask, client, closeAll, modes, server, until } from './tcp-helpers.js';

// A little data, so the kernel still reports the reset to the paused socket.
const SOME = Buffer.alloc(100, 120);
// Held back: read and kept (the server pattern holds a chunk its listener does not
// admit), or, on the light path, left unread in a connection that waits for a slot.
const held = (sockets: Iterable<Pick<Process, 'state'>>): boolean => [...sockets].some((s) => s.state.pending !== null || s.state.started === false);

describe('a client that resets while its data is held back', () => {
  for (const mode of modes) {
    it(`does not crash a paused server; the server goes on serving (${mode})`, async () => {
      const s = await server(mode, (c) => c, { paused: true });
      const c = client(s.port);
      await c.connected;
      c.socket.write(SOME);
      await until(() => held(s.sockets));
      c.socket.resetAndDestroy();
      await c.outcome;
      s.resume();
      const after = await ask(s.port, 'still here');
      expect(after).toMatchObject({ received: 'still here', ended: true, error: undefined });
      await until(() => s.acceptor.active === 0);
      await closeAll(s);
    }, 30_000);

    it(`does not crash a server at its concurrency limit (${mode})`, async () => {
      const s = await server(mode, (c) => c, { concurrency: 1 });
      const first = client(s.port);
      await first.connected;
      await until(() => s.acceptor.active === 1);
      const second = client(s.port);
      await second.connected;
      second.socket.write(SOME);
      await until(() => held(s.sockets));
      second.socket.resetAndDestroy();
      await second.outcome;
      first.socket.end('first');
      expect(await first.outcome).toMatchObject({ received: 'first', ended: true });
      expect(await ask(s.port, 'third')).toMatchObject({ received: 'third', ended: true, error: undefined });
      await closeAll(s);
    }, 30_000);
  }

  it('does not crash a server whose handler is slower than its client', async () => {
    const io = new IO();
    let port: Port | undefined;
    const s = await tcpServer(io, (p: Port) => {
      if (port === undefined) port = p; // reads nothing yet
      else p.pipe((c) => c);
    }, { dedicated: { capacity: 16 } });
    const c = client(s.port);
    await c.connected;
    c.socket.write(SOME);
    await until(() => port !== undefined && held(s.sockets));
    c.socket.resetAndDestroy();
    await c.outcome;
    await until(() => [...s.sockets].every((k) => k.state.gone));
    // The slow handler reads at last: what arrived, then the reset.
    const got = await port!.readAll();
    expect(got.length).toBeGreaterThan(0);
    expect(port!.endReason?.reason).toBe('reset');
    port!.close();
    await until(() => s.acceptor.active === 0);
    expect(await ask(s.port, 'next')).toMatchObject({ ended: true, error: undefined });
    await closeAll(s);
  }, 30_000);
});
