// Regression: a reset looked exactly like a clean close. A counting pipeline
// reported a complete count for a stream the client had cut short. Socket
// errors now reach the pipeline as an end of stream with reason `reset`: a
// reader sees it on its port, and a reducer does not emit a partial result.
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import type { Chain } from '../../api/chain.js';
import type { Port } from '../../net/endpoints.js';
import { tcpServer } from '../../net/tcp.js';
import { ask, client, closeAll, modes, server, until, type TcpServer } from './tcp-helpers.js';

/** Bytes the server's sockets have read (the reset comes after the data, not racing it). */
const received = (s: TcpServer): number => [...s.sockets].reduce((n, k) => n + (k.params.socket as Socket).bytesRead, 0);

describe('a reset reaches the pipeline as an error end of stream', () => {
  for (const mode of modes) {
    it(`a counting pipeline reports no count for a reset stream, and a count for a whole one (${mode})`, async () => {
      const counts: number[] = [];
      const counting = (c: Chain<unknown>): Chain<unknown> => (c as Chain<number>).count().map((n: number) => {
        counts.push(n);
        return `${n}\n`;
      });
      const s = await server(mode, counting);
      const cut = client(s.port);
      await cut.connected;
      cut.socket.write('0123456789');
      await until(() => received(s) === 10);
      cut.socket.resetAndDestroy();
      await cut.outcome;
      await until(() => s.acceptor.active === 0);
      expect(counts).toEqual([]);
      expect(await ask(s.port, 'abc')).toMatchObject({ received: '3\n', ended: true });
      expect(counts).toEqual([3]);
      await closeAll(s);
    }, 30_000);
  }

  it('a reader sees reason reset on its port, with the socket error', async () => {
    const io = new IO();
    const reasons: unknown[] = [];
    const s = await tcpServer(io, async (p: Port) => {
      await p.readAll();
      reasons.push(p.endReason);
      p.close();
    });
    const cut = client(s.port);
    await cut.connected;
    cut.socket.write('partial');
    await until(() => received(s) === 7);
    cut.socket.resetAndDestroy();
    await until(() => reasons.length === 1);
    expect(reasons[0]).toMatchObject({ reason: 'reset', error: { code: 'ECONNRESET' } });
    // A clean FIN is a clean end.
    const whole = client(s.port);
    await whole.connected;
    whole.socket.end('whole');
    await until(() => reasons.length === 2);
    expect(reasons[1]).toEqual({ reason: 'end' });
    await closeAll(s);
  }, 30_000);
});
