// `Acceptor.connectAndAccept`: a server that connects its clients to the
// listener itself (as tcpServer does with its socket processes) has each
// connection accepted in the same step, without waking the accept loop; what
// the acceptor promises (pausing, the concurrency limit, clients in line, the
// listener going away) holds as it does for clients that connect on their own.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { counts, observe, type PortEvent } from '../../engine/ports.js';
import { PortError } from '../../engine/process.js';
import '../../processes/index.js';
import { Port, serve } from '../../net/endpoints.js';
import { until } from '../regressions/tcp-helpers.js';

describe('Acceptor.connectAndAccept', () => {
  it('works as docs/tcp.md shows it', () => {
    const io = new IO();
    const listen = Port.listen(io);
    const example = `const acceptor = serve(listen, (p) => p.pipe((c) => c));
const client = Port.create(io);
acceptor.connectAndAccept(client.process, client.number);
// Accepted already: the client's connection is on its own port, the listener is free.`;
    expect(readFileSync(new URL('../../docs/tcp.md', import.meta.url), 'utf8')).toContain(example);
    const acceptor = serve(listen, (p) => p.pipe((c) => c));
    const client = Port.create(io);
    acceptor.connectAndAccept(client.process, client.number);
    expect(acceptor.accepted).toBe(1);
    expect(listen.state).toBe('free');
    expect(client.peer()?.process).not.toBe(listen.process);
    expect(client.isConnected).toBe(true);
  });

  it('accepts in the same step: the handler has the connection and the listener is free when it returns', () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: Port[] = [];
    const acceptor = serve(listen, (p) => served.push(p));
    const events: PortEvent['op'][] = [];
    observe(io, (e) => events.push(e.op));
    const client = Port.create(io);
    acceptor.connectAndAccept(client.process, client.number);
    expect(served).toHaveLength(1);
    expect(served[0].peer()?.process).toBe(client.process);
    expect(listen.state).toBe('free');
    expect(acceptor.accepted).toBe(1);
    // The client connected straight to its dedicated port: never to the listener, and no move.
    expect(events).toEqual(['connect']);
    expect(served[0].process.def.name).toBe('endpoint');
  });

  it('a handler that pipes at once gets the client connected straight to the relay: no endpoint, no move', () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: Port[] = [];
    const acceptor = serve(listen, (p) => {
      p.pipe((c) => c.map((x) => (x as number) + 1));
      served.push(p);
    });
    const events: PortEvent['op'][] = [];
    observe(io, (e) => events.push(e.op));
    const before = counts(io).processes;
    const client = Port.create(io);
    acceptor.connectAndAccept(client.process, client.number);
    // The client, the relay and the map step; the connect of the client and the pipeline's two links.
    expect(counts(io).processes - before).toBe(3);
    expect(events.filter((op) => op === 'move')).toEqual([]);
    expect(served[0].process.def.name).toBe('relay');
    expect(served[0].peer()?.process).toBe(client.process);
    expect(client.write([1, 2])).toBe(2);
    client.end();
  });

  it('a handler that pipes later, or reads first, gets its dedicated endpoint as before', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    let piped = false;
    const acceptor = serve(listen, async (p) => {
      await p.readable();
      p.pipe((c) => c);
      piped = true;
    });
    const client = Port.create(io);
    acceptor.connectAndAccept(client.process, client.number);
    expect(client.peer()?.process.def.name).toBe('endpoint');
    expect(client.write([5])).toBe(1);
    await until(() => piped);
    client.end();
    expect(await client.readAll()).toEqual([5]);
    client.close();
    await until(() => acceptor.active === 0);
    acceptor.close();
    await acceptor.done;
    client.destroy();
    expect(counts(io)).toEqual({ connections: 0, waiters: 0, processes: 0 });
  });

  it('settles no wait per connection: the loop keeps one wait for the listener throughout', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const acceptor = serve(listen, (p) => p.pipe((c) => c));
    expect(counts(io).waiters).toBe(1);
    const clients: Port[] = [];
    for (let i = 0; i < 50; i++) {
      const c = Port.create(io);
      acceptor.connectAndAccept(c.process, c.number);
      clients.push(c);
      expect(counts(io).waiters).toBe(1);
    }
    // Each connection is served as any other: it echoes and closes.
    for (const [i, c] of clients.entries()) {
      expect(c.write([i])).toBe(1);
      c.end();
      expect(await c.readAll()).toEqual([i]);
      c.close();
    }
    await until(() => acceptor.active === 0);
    expect(acceptor.accepted).toBe(50);
    acceptor.close();
    await acceptor.done;
    for (const c of clients) c.destroy();
    expect(counts(io)).toEqual({ connections: 0, waiters: 0, processes: 0 });
  });

  it('while paused the connection stays on the listener, and the loop accepts it on resume', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: Port[] = [];
    const acceptor = serve(listen, (p) => served.push(p), { paused: true });
    const client = Port.create(io);
    acceptor.connectAndAccept(client.process, client.number);
    expect(served).toHaveLength(0);
    expect(listen.peer()?.process).toBe(client.process);
    acceptor.resume();
    await until(() => served.length === 1);
    expect(served[0].peer()?.process).toBe(client.process);
    expect(listen.state).toBe('free');
  });

  it('at the concurrency limit the connection waits on the listener until a slot frees', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: Port[] = [];
    const acceptor = serve(listen, (p) => served.push(p), { concurrency: 1 });
    const first = Port.create(io);
    const second = Port.create(io);
    acceptor.connectAndAccept(first.process, first.number);
    acceptor.connectAndAccept(second.process, second.number);
    expect(served).toHaveLength(1);
    expect(listen.peer()?.process).toBe(second.process);
    // The first connection is over: its slot goes to the second.
    first.close();
    served[0].close();
    await until(() => served.length === 2);
    expect(served[1].peer()?.process).toBe(second.process);
    expect(acceptor.active).toBe(1);
  });

  it('a client in line for the listener is still accepted by the loop', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: Port[] = [];
    const acceptor = serve(listen, (p) => served.push(p), { paused: true });
    const first = Port.create(io);
    acceptor.connectAndAccept(first.process, first.number);
    const inLine = Port.create(io);
    const waited = inLine.connect(listen, { wait: true });
    acceptor.resume();
    await waited;
    await until(() => served.length === 2);
    expect(served.map((p) => p.peer()?.process)).toEqual([first.process, inLine.process]);
  });

  it('a connection left on the listener because `connected` threw is accepted by the loop', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: Port[] = [];
    const acceptor = serve(listen, (p) => served.push(p));
    const client = Port.create(io);
    expect(() =>
      acceptor.connectAndAccept(client.process, client.number, () => {
        throw new Error('setting up the connection failed');
      }),
    ).toThrow('setting up the connection failed');
    await until(() => served.length === 1);
    expect(served[0].peer()?.process).toBe(client.process);
    expect(listen.state).toBe('free');
  });

  it('refuses a taken listener with a PortError, and a gone one', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const acceptor = serve(listen, () => undefined, { paused: true });
    const first = Port.create(io);
    acceptor.connectAndAccept(first.process, first.number);
    const second = Port.create(io);
    expect(() => acceptor.connectAndAccept(second.process, second.number)).toThrow(PortError);
    expect(second.state).toBe('free');
    acceptor.close();
    await acceptor.done;
    expect(() => acceptor.connectAndAccept(second.process, second.number)).toThrow(PortError);
  });

  it('a handler that throws ends only its connection, reported, and the slot comes back', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const reported: unknown[] = [];
    const acceptor = serve(listen, () => {
      throw new Error('handler broke');
    }, { concurrency: 1, onError: (e) => reported.push(e) });
    const client = Port.create(io);
    expect(() => acceptor.connectAndAccept(client.process, client.number)).not.toThrow();
    await until(() => client.isEnded);
    expect(client.endReason).toMatchObject({ reason: 'error' });
    expect(reported).toHaveLength(1);
    client.close();
    await until(() => acceptor.active === 0);
    expect(acceptor.failed).toBe(1);
  });
});
