// Regression: the acceptor leaked concurrency slots. A `{ pipe }` client that
// closed before it was accepted left its relay and slot behind (the relay was
// dedicated only after the move had already run the connection's end); a
// handler that threw never closed its connection. With `concurrency: 1`
// either wedged the server for good.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { counts } from '../../engine/ports.js';
import '../../processes/index.js';
import { Port, serve, type Serve } from '../../net/endpoints.js';
import { tcpServer } from '../../net/tcp.js';
import { ask, client, closeAll, modes, server, until } from './tcp-helpers.js';

/** An in-process client: connects (waiting in line), sends `xs`, ends, and reads everything back. */
async function echoOnce(listen: Port, xs: number[]): Promise<unknown[]> {
  const c = Port.create(listen.io);
  await c.connect(listen, { wait: true });
  expect(await c.send(xs)).toBe(true);
  c.end();
  const got = await c.readAll();
  c.close();
  return got;
}

describe('concurrency slots (in-process)', () => {
  it('a { pipe } client that closes before it is accepted gives its slot back', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const acceptor = serve(listen, { pipe: (c) => c }, { concurrency: 1, paused: true });
    const early = Port.create(io);
    early.connect(listen);
    early.write([1, 2]);
    early.end();
    early.close();
    acceptor.resume();
    await until(() => acceptor.accepted === 1 && acceptor.active === 0);
    expect(await echoOnce(listen, [7, 8])).toEqual([7, 8]);
    await until(() => acceptor.active === 0);
    acceptor.close();
    await acceptor.done;
    expect(counts(io).connections).toBe(0);
  });

  for (const how of ['throws', 'rejects'] as const) {
    it(`a handler that ${how} ends its connection with the error and gives its slot back`, async () => {
      const io = new IO();
      const listen = Port.listen(io);
      let calls = 0;
      const handler: Serve = (p) => {
        if (++calls === 1) {
          if (how === 'throws') throw new Error('handler broke');
          return Promise.reject(new Error('handler broke'));
        }
        p.pipe((c) => c);
        return undefined;
      };
      const acceptor = serve(listen, handler, { concurrency: 1 });
      const first = Port.create(io);
      await first.connect(listen, { wait: true });
      await until(() => first.isEnded);
      expect(first.endReason).toMatchObject({ reason: 'error', error: { message: 'handler broke' } });
      first.close();
      await until(() => acceptor.active === 0);
      expect(acceptor.errors).toHaveLength(1);
      expect(await echoOnce(listen, [3])).toEqual([3]);
      acceptor.close();
      await acceptor.done;
    });
  }
});

describe('concurrency slots (TCP)', () => {
  for (const mode of modes) {
    it(`a client that leaves before it is accepted gives its slot back (${mode})`, async () => {
      const s = await server(mode, (c) => c, { concurrency: 1, paused: true });
      const early = client(s.port);
      await early.connected;
      early.socket.end('bye');
      // The server pattern reads the FIN while the client waits on the listener; the light path leaves it unread.
      await until(() => s.sockets.size === 1 && [...s.sockets].every((k) => k.state.eof || k.state.started === false));
      early.socket.destroy();
      await early.outcome;
      s.resume();
      await until(() => s.acceptor.accepted === 1 && s.acceptor.active === 0);
      expect(await ask(s.port, 'next')).toMatchObject({ received: 'next', ended: true });
      await closeAll(s);
    }, 30_000);
  }

  it('a handler that throws resets its connection and gives its slot back', async () => {
    const io = new IO();
    let calls = 0;
    const s = await tcpServer(io, (p: Port) => {
      if (++calls === 1) throw new Error('handler broke');
      p.pipe((c) => c);
    }, { concurrency: 1 });
    const first = client(s.port);
    const outcome = await first.outcome;
    expect(outcome.error?.code).toBe('ECONNRESET');
    expect(await ask(s.port, 'second')).toMatchObject({ received: 'second', ended: true });
    expect(s.errors).toHaveLength(1);
    await closeAll(s);
  }, 30_000);
});
