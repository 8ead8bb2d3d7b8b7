// Regression: user code ran inside the socket's `data` listener with no error
// boundary, so one throwing pipeline took the whole server down. Now a failure
// ends that one connection with an error: its client sees a reset (not a clean
// FIN after a truncated reply), the error is reported, and every other
// connection goes on. That holds whether the pipeline throws on data, or at the
// end of stream (a last line flushed after the client's FIN).
import { describe, expect, it } from 'vitest';
import type { Chain } from '../../api/chain.js';
import { client, closeAll, modes, server, until } from './tcp-helpers.js';

const picky = (c: Chain<unknown>): Chain<unknown> => (c as Chain<number>).lines().map((line: string) => {
  if (line === 'boom') throw new RangeError('no booms here');
  return line.toUpperCase();
}).unlines();

describe('a pipeline that throws', () => {
  for (const mode of modes) {
    for (const when of ['on data', 'at the end of stream'] as const) {
      it(`ends only its own connection, with a reset, and is reported (${mode}, ${when})`, async () => {
        const errors: unknown[] = [];
        const s = await server(mode, picky, { onError: (e) => errors.push(e) });
        const calm = client(s.port);
        await calm.connected;
        calm.socket.write('first\n');
        await until(() => calm.socket.bytesRead >= 6);

        const bad = client(s.port);
        await bad.connected;
        // The reply to the good line is read before the bad one goes out: a reset
        // that arrives with unread data may be reported to the client as an end.
        bad.socket.write('fine\n');
        await until(() => bad.socket.bytesRead === 5);
        if (when === 'on data') bad.socket.write('boom\nnever\n');
        else bad.socket.end('boom'); // the last line is handed on after the FIN
        const outcome = await bad.outcome;
        expect(outcome.ended).toBe(false); // no clean FIN
        expect(outcome.error?.code).toBe('ECONNRESET');
        expect(outcome.received).toBe('FINE\n');

        await until(() => errors.length === 1);
        expect(errors[0]).toBeInstanceOf(Error);
        expect(String((errors[0] as Error).message)).toContain('no booms here');
        expect(s.acceptor.errors).toHaveLength(1);

        // The other connection is untouched.
        calm.socket.end('second\n');
        expect(await calm.outcome).toMatchObject({ received: 'FIRST\nSECOND\n', ended: true, error: undefined });
        await until(() => s.acceptor.active === 0);
        await closeAll(s);
      }, 30_000);
    }
  }
});
