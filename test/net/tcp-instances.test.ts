// The light path with a pipeline that is a line of steps: an instance of the
// pipeline serves one connection at a time and is made as new for the next
// (state from its initial values, ends of stream forgotten), so `pipe` runs
// once per instance, not once per connection. Faults drop the instance. Every
// wait is on an event (a reply, a socket closing), never on a clock.
import { describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import type { Chain } from '../../api/chain.js';
import { tcpServer } from '../../net/tcp.js';
import { ask, client, closeAll, until } from '../regressions/tcp-helpers.js';

/** A `{ pipe }` pipeline that counts how often it is built. */
function counted(build: (c: Chain<unknown>) => Chain<unknown>): { pipe: (c: Chain<unknown>) => Chain<unknown>; builds: () => number } {
  let builds = 0;
  return {
    pipe: (c) => {
      builds++;
      return build(c);
    },
    builds: () => builds,
  };
}

const upperLines = (c: Chain<unknown>): Chain<unknown> => (c as Chain<number>).lines().map((l) => l.toUpperCase()).unlines();

describe('TCP light path: pipeline instances', () => {
  it('connections one after another share one instance, each starting from fresh state', async () => {
    const io = new IO();
    const p = counted(upperLines);
    const server = await tcpServer(io, { pipe: p.pipe });
    // A last line without a newline is carried until the end of stream: it must not reach the next connection.
    expect((await ask(server.port, 'one\ntw')).received).toBe('ONE\nTW\n');
    expect((await ask(server.port, 'o\nthree\n')).received).toBe('O\nTHREE\n');
    for (let i = 0; i < 5; i++) expect((await ask(server.port, `line ${i}\n`)).received).toBe(`LINE ${i}\n`);
    expect(p.builds()).toBe(1); // once, when the server started
    await closeAll(server);
  }, 20_000);

  it('a step that counts starts counting again', async () => {
    const io = new IO();
    const three = counted((c) => c.take(3));
    const server = await tcpServer(io, { pipe: three.pipe });
    expect((await ask(server.port, 'abcdef')).received).toBe('abc');
    expect((await ask(server.port, 'uvwxyz')).received).toBe('uvw');
    expect((await ask(server.port, 'q')).received).toBe('q');
    expect(three.builds()).toBe(1);
    await closeAll(server);
  }, 20_000);

  it('a pipeline that ends as it is built (take(0)) ends again for every connection', async () => {
    const io = new IO();
    const server = await tcpServer(io, { pipe: (c) => c.map((x) => x).take(0) });
    for (let i = 0; i < 3; i++) {
      const outcome = await ask(server.port, 'ignored');
      expect(outcome.received).toBe('');
      expect(outcome.ended).toBe(true);
    }
    await closeAll(server);
  }, 20_000);

  it('connections open at the same time get instances of their own', async () => {
    const io = new IO();
    const p = counted(upperLines);
    const server = await tcpServer(io, { pipe: p.pipe });
    const a = client(server.port);
    const b = client(server.port);
    await Promise.all([a.connected, b.connected]);
    a.socket.write('from a, ');
    b.socket.write('from b, ');
    await until(() => server.acceptor.active === 2);
    a.socket.end('first\n');
    b.socket.end('second\n');
    expect((await a.outcome).received).toBe('FROM A, FIRST\n');
    expect((await b.outcome).received).toBe('FROM B, SECOND\n');
    expect(p.builds()).toBe(2);
    // Both instances are kept: two more at once build nothing new.
    const [c, d] = await Promise.all([ask(server.port, 'c\n'), ask(server.port, 'd\n')]);
    expect([c.received, d.received]).toEqual(['C\n', 'D\n']);
    expect(p.builds()).toBe(2);
    await closeAll(server);
  }, 20_000);

  it('an instance whose pipeline failed, or whose client reset, is not used again', async () => {
    const io = new IO();
    const errors: unknown[] = [];
    const p = counted((c) => (c as Chain<number>).lines().map((l) => {
      if (l === 'boom') throw new Error('boom');
      return l.toUpperCase();
    }).unlines());
    const server = await tcpServer(io, { pipe: p.pipe }, { onError: (e) => errors.push(e) });
    // The instance built when the server started serves a clean connection, then one that fails.
    expect((await ask(server.port, 'before\n')).received).toBe('BEFORE\n');
    const failed = await ask(server.port, 'boom\n');
    expect(failed.error?.code).toBe('ECONNRESET');
    expect(errors).toHaveLength(1);
    expect(p.builds()).toBe(1);
    expect((await ask(server.port, 'after a failure\n')).received).toBe('AFTER A FAILURE\n');
    expect(p.builds()).toBe(2);

    const reset = client(server.port);
    await reset.connected;
    reset.socket.write('half a li');
    await until(() => server.acceptor.active === 1);
    reset.socket.resetAndDestroy();
    await reset.outcome;
    await until(() => server.acceptor.active === 0);
    expect((await ask(server.port, 'after a reset\n')).received).toBe('AFTER A RESET\n');
    expect(p.builds()).toBe(3);
    await closeAll(server);
  }, 20_000);

  it('a closed server keeps no instances', async () => {
    const io = new IO();
    const server = await tcpServer(io, { pipe: upperLines });
    const [a, b] = await Promise.all([ask(server.port, 'one\n'), ask(server.port, 'two\n')]);
    expect([a.received, b.received]).toEqual(['ONE\n', 'TWO\n']);
    await until(() => server.acceptor.active === 0);
    const steps = (): string[] => [...io.processes()].map((p) => p.def.name).filter((name) => ['lines', 'map', 'unlines'].includes(name));
    expect(steps().length).toBeGreaterThanOrEqual(3); // at least one instance is kept
    await closeAll(server);
    expect(steps()).toEqual([]);
  }, 20_000);

  it('a pipeline that is not a line of steps is built for each connection, as before', async () => {
    const io = new IO();
    const p = counted((c) => {
      const [a, b] = c.map((x) => x).tee();
      return io.merge(a, b.map((x) => x));
    });
    const server = await tcpServer(io, { pipe: p.pipe });
    for (let i = 0; i < 3; i++) expect((await ask(server.port, 'x')).received).toBe('xx');
    expect(p.builds()).toBe(4); // the probe, then one per connection
    await closeAll(server);
  }, 20_000);
});
