// The port lifecycle: states, connect/close/move, waits, the server
// pattern, and the seed's three scenarios. Deterministic throughout: the tests
// that race run under the seeded scheduler (engine/scheduler.ts), driven one
// task at a time, and replay identically for a seed.
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import * as life from '../../engine/ports.js';
import { PortError, Process } from '../../engine/process.js';
import { Scheduler } from '../../engine/scheduler.js';
import { since, snapshot } from '../../jit/stats.js';
import { map } from '../../processes/elements/map.js';
import { Port, serve } from '../../net/endpoints.js';
import { drive, tick } from './ports-helpers.js';

/** Resolves to 'pending' if the promise has not settled by the next macrotask. */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  let out: T | 'pending' = 'pending';
  void promise.then((v) => (out = v), () => (out = 'pending'));
  await tick();
  return out;
}

describe('port states', () => {
  it('go from absent to free to connected and back, one connection record per connection', () => {
    const io = new IO();
    const a = Port.create(io);
    const b = Port.create(io);
    expect([a.state, b.state]).toEqual(['free', 'free']);
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 2 });
    a.connect(b);
    expect([a.state, b.state]).toEqual(['connected', 'connected']);
    expect(a.nonce).toBeGreaterThan(0);
    expect(b.nonce).toBe(a.nonce);
    expect(life.counts(io).connections).toBe(1);
    expect(a.disconnect()).toBe(true);
    expect([a.state, b.state, a.nonce]).toEqual(['free', 'free', 0]);
    expect(life.counts(io).connections).toBe(0);
    a.connect(b);
    const second = a.nonce;
    b.destroy();
    expect([a.state, b.state]).toEqual(['free', 'absent']);
    expect(second).toBeGreaterThan(0);
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 1 });
  });

  it('connect refuses an occupied or absent port with a PortError and changes nothing', () => {
    const io = new IO();
    const [a, b, c] = [Port.create(io), Port.create(io), Port.create(io)];
    a.connect(b);
    expect(() => c.connect(b)).toThrow(PortError);
    expect(() => c.connect(b)).toThrow(/endpoint#2: port "peer" is already connected to endpoint#1 "peer"/);
    c.destroy();
    expect(() => a.connect(c)).toThrow(PortError);
    expect(() => Port.create(io).connect(c)).toThrow(/endpoint#3: port "peer" does not exist/);
    expect(a.peer()?.process).toBe(b.process);
    expect(life.counts(io).connections).toBe(1);
  });

  it('every change goes through the lifecycle: observers see each one once, after it is complete', () => {
    const io = new IO();
    const seen: string[] = [];
    life.observe(io, (e) => seen.push(e.op));
    const [a, b] = [Port.create(io), Port.create(io)];
    a.connect(b);
    a.process.disconnect(0);
    a.process.connect(0, b.process, 0);
    a.close();
    b.close();
    b.destroy();
    expect(seen).toEqual(['connect', 'disconnect', 'connect', 'close', 'close', 'disconnect', 'remove']);
  });
});

describe('connect that waits', () => {
  it('waits while either end is connected and serves waiting clients in the order they asked', async () => {
    const io = new IO();
    const server = Port.create(io);
    const busy = Port.create(io);
    busy.connect(server);
    const order: number[] = [];
    const clients = [0, 1, 2].map((i) => {
      const c = Port.create(io);
      return c.connect(server, { wait: true }).then(() => order.push(i));
    });
    await tick();
    expect(order).toEqual([]);
    expect(life.counts(io).waiters).toBe(3);
    busy.disconnect();
    await tick();
    expect(order).toEqual([0]); // connected in the same step that freed the port
    server.disconnect();
    server.disconnect();
    await tick();
    server.disconnect();
    await Promise.all(clients);
    expect(order).toEqual([0, 1, 2]);
    expect(life.counts(io).waiters).toBe(0);
  });

  it('fails cleanly with a PortError when a port vanishes, and an aborted wait leaves nothing behind', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    Port.create(io).connect(listen);
    const waiting = Port.create(io).connect(listen, { wait: true });
    const abort = new AbortController();
    const given = Port.create(io).connect(listen, { wait: true, signal: abort.signal });
    abort.abort(new Error('gave up'));
    await expect(given).rejects.toThrow('gave up');
    listen.destroy();
    await expect(waiting).rejects.toThrow(PortError);
    await expect(waiting).rejects.toThrow(/ceased to exist/);
    expect(life.counts(io).waiters).toBe(0);
  });
});

describe('the seed scenarios', () => {
  it('a pipe connection: create, connect, half-close (the peer drains, then sees the end), full close', async () => {
    const io = new IO();
    // created: the ports exist
    const a = Port.create(io);
    const b = Port.create(io);
    expect([a.state, b.state]).toEqual(['free', 'free']);
    // the connection exists
    a.connect(b);
    expect(await a.send([1, 2, 3])).toBe(true);
    // one port closes: half-open. The peer drains what was sent, then sees end of stream.
    a.close();
    expect([a.state, b.state]).toEqual(['connected', 'connected']);
    expect(b.isEnded).toBe(true);
    expect(await b.readable()).toBe(true);
    expect(b.read()).toEqual([1, 2, 3]);
    expect(await b.readable()).toBe(false);
    // The surviving side can no longer write into the closed port.
    expect(b.write([9])).toBe(0);
    expect(await b.writable()).toBe(false);
    expect(await b.send([9])).toBe(false);
    expect(a.read()).toEqual([]);
    expect(life.counts(io).connections).toBe(1);
    // the other closes: the connection is closed. The record is freed; both ports exist, free.
    b.close();
    expect([a.state, b.state]).toEqual(['free', 'free']);
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 2 });
  });

  it('a socket connection: listener, client, connect, move, replacement ready, both close, listener closes', async () => {
    const io = new IO();
    const listen = Port.listen(io); // created on the server
    const client = Port.create(io); // created on the client
    client.connect(listen); // connected: the client claims the listener
    const k = client.nonce;
    expect(listen.nonce).toBe(k);
    const p = listen.move(); // moved: the connection moves to a dedicated port
    // The listener is still there, free, ready for the next client.
    expect(listen.state).toBe('free');
    expect(p.nonce).toBe(k);
    expect(client.peer()?.process).toBe(p.process);
    // Data flows between the client and the dedicated port.
    await client.send(['ping']);
    expect(p.read()).toEqual(['ping']);
    await p.send(['pong']);
    expect(client.read()).toEqual(['pong']);
    // closed by the client, closed by the server: the client/server connection is closed.
    client.close();
    expect(life.counts(io).connections).toBe(1);
    p.close();
    expect(life.counts(io).connections).toBe(0);
    await tick();
    expect(p.state).toBe('absent'); // a dedicated port goes with its connection
    expect(client.state).toBe('free');
    // the listener closes: a client waiting for it fails cleanly.
    const other = Port.create(io);
    other.connect(listen);
    const late = Port.create(io).connect(listen, { wait: true });
    listen.destroy();
    await expect(late).rejects.toThrow(PortError);
    expect(other.state).toBe('free');
    expect(life.counts(io).waiters).toBe(0);
  });

  for (const seed of [1, 2, 3]) {
    it(`the race: a second client on a claimed listener waits, then is served, never fails (seed ${seed})`, async () => {
      const io = new IO();
      const s = new Scheduler({ seed });
      life.useScheduler(io, s);
      const listen = Port.listen(io);
      const served: number[] = [];
      const acceptor = serve(listen, async (p) => {
        const [x] = await p.readAll();
        served.push(x as number);
        await p.send([(x as number) * 10]);
        p.close();
      });
      const first = Port.create(io);
      first.connect(listen); // claims the listener
      const second = Port.create(io);
      expect(() => second.connect(listen)).toThrow(PortError); // refused without waiting
      const replies: unknown[][] = [];
      const errors: unknown[] = [];
      for (const [c, x] of [[first, 1], [second, 2]] as const) {
        s.schedule(() => void (async () => {
          if (!c.isConnected) await c.connect(listen, { wait: true });
          await c.send([x]);
          c.end();
          replies[x] = await c.readAll();
          c.close();
        })().catch((e) => errors.push(e)));
      }
      await drive(s);
      expect(errors).toEqual([]);
      expect(replies[1]).toEqual([10]);
      expect(replies[2]).toEqual([20]);
      expect(served.sort()).toEqual([1, 2]);
      expect(acceptor.accepted).toBe(2);
      acceptor.close();
      await drive(s);
      await acceptor.done;
    });
  }
});

describe('half-close', () => {
  it('a client shuts its write side; the server still drains, replies, and closes', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const log: string[] = [];
    const acceptor = serve(listen, async (p) => {
      const got = await p.readAll(); // until the client's end of stream
      log.push(`server read ${got.join(',')}`);
      expect(await p.send(['sum', (got as number[]).reduce((a, x) => a + x, 0)])).toBe(true);
      p.close();
      log.push('server closed');
    });
    const c = Port.create(io);
    await c.connect(listen, { wait: true });
    await c.send([1, 2, 3]);
    c.end(); // half-close: no more from the client
    expect(() => c.write([4])).toThrow(/cannot write after end/);
    expect(await c.readAll()).toEqual(['sum', 6]); // the client can still read
    expect(c.isEnded).toBe(true);
    expect(log).toEqual(['server read 1,2,3', 'server closed']);
    expect(c.state).toBe('connected'); // half-open until the client closes too
    c.close();
    expect(c.state).toBe('free');
    expect(life.counts(io).connections).toBe(0);
    acceptor.close();
    await acceptor.done;
  });
});

describe('pipelines on ports', () => {
  it('a pipeline attached late gets what arrived first, then the end of stream, and closes its port', async () => {
    const io = new IO();
    const [a, b] = [Port.create(io), Port.create(io, { capacity: 2 })];
    a.connect(b);
    expect(a.write([1, 2, 3])).toBe(2); // the inbox is full
    b.pipe((c) => c.map((x) => (x as number) * 10));
    expect(await a.send([3])).toBe(true);
    a.end();
    expect(await a.readAll()).toEqual([10, 20, 30]);
    expect(b.isClosed).toBe(true); // both streams ended: the piped port closed itself
    a.close();
    expect([a.state, b.nonce]).toEqual(['free', 0]);
    expect(life.counts(io).connections).toBe(2); // b.out -> map -> b.in stay: b is not a dedicated port
  });
});

describe('dedicated ports', () => {
  it('go with their connection; a dedication follows a move, and the port left behind goes at once', () => {
    const io = new IO();
    const [a, b, c] = [Port.create(io), Port.create(io), Port.create(io)];
    a.connect(b);
    const gone: string[] = [];
    life.dedicate(b.process, 0, () => gone.push('b'));
    b.moveTo(c); // the connection, and with it the dedication, moves on to c; b has no other use
    expect([b.state, c.state]).toEqual(['absent', 'connected']);
    expect(life.isDedicated(c.process, 0)).toBe(true);
    expect(gone).toEqual([]);
    a.close();
    c.close();
    expect([a.state, c.state]).toEqual(['free', 'absent']);
    expect(gone).toEqual(['b']);
  });

  it('serve(listen, { pipe }) moves each connection straight into its pipeline, which goes with it', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const acceptor = serve(listen, { pipe: (c) => c.map((x) => `<${String(x)}>`) });
    const replies = await Promise.all(['a', 'b', 'c'].map(async (x) => {
      const c = Port.create(io);
      await c.connect(listen, { wait: true });
      await c.send([x, x]);
      c.end();
      const got = await c.readAll();
      c.close();
      c.destroy();
      return got;
    }));
    expect(replies).toEqual([['<a>', '<a>'], ['<b>', '<b>'], ['<c>', '<c>']]);
    expect([acceptor.accepted, acceptor.active]).toEqual([3, 0]);
    acceptor.close();
    await acceptor.done;
    expect(life.counts(io).connections).toBe(0); // the pipelines' connections went with their relays
  });
});

describe('move', () => {
  it('is atomic: no waiter or observer ever sees the connection on neither port, or the client unconnected', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const client = Port.create(io);
    client.connect(listen);
    const k = client.nonce;
    const violations: string[] = [];
    // The invariant: the client holds k, its far end holds k, and the listener holds k only if it is that far end.
    let watching = true;
    const check = (where: string): void => {
      if (!watching) return;
      const far = client.peer();
      if (client.nonce !== k) violations.push(`${where}: the client lost its connection`);
      if (!far || far.nonce !== k) violations.push(`${where}: the client's far end does not hold the connection`);
      if ((listen.nonce === k) !== (far?.process === listen.process)) violations.push(`${where}: the listener and the far end disagree`);
    };
    life.observe(io, () => check('observer'));
    // Custom waits on every port involved that never settle: they check on every change.
    for (const p of [listen, client]) void life.waitFor(p.process, 0, () => (check('waiter'), undefined));
    const disconnected = listen.disconnected(); // tied to k: it must follow k, not fire on the move
    const clientDisconnected = client.disconnected();
    const readable = listen.readable(); // tied to k: data for k arrives at the dedicated port
    const events: string[] = [];
    const stop = life.observe(io, (e) => events.push(e.op));

    const p = listen.move();
    stop();
    expect(events).toEqual(['move']); // one step
    check('after');
    expect(violations).toEqual([]);
    expect(await peek(disconnected)).toBe('pending');
    expect(await peek(clientDisconnected)).toBe('pending');
    expect(await peek(listen.connected())).toBe('pending'); // waits for the next client
    client.write(['hello']);
    expect(await readable).toBe(true); // followed k to the dedicated port
    expect(p.read()).toEqual(['hello']);
    expect(violations).toEqual([]);
    watching = false; // closing ends the connection, and the invariant with it
    client.close();
    p.close();
    expect(await disconnected).toBe(true);
    expect(await clientDisconnected).toBe(true);
  });

  it('marks stale exactly the compiled chains that followed the moved connection', () => {
    const io = new IO();
    const listen = Port.listen(io);
    const client = Port.create(io);
    client.connect(listen);
    // map -> client.in: the client sends what the map makes, through the moved connection.
    const m = new Process(io, map, { f: (x: number) => x + 1 });
    m.connect('out', client.process, 'in');
    // An unrelated pair with the same shape.
    const [c2, e2] = [Port.create(io), Port.create(io)];
    c2.connect(e2);
    const m2 = new Process(io, map, { f: (x: number) => x + 1 });
    m2.connect('out', c2.process, 'in');
    const entries = [m.entry('>in', 'admittance'), m.entry('>in', 'flow')];
    const others = [m2.entry('>in', 'admittance'), m2.entry('>in', 'flow')];
    for (const e of [...entries, ...others]) e.ready();
    // The listener admits nothing: the map's chain says so.
    expect(m.admittance('>in', Flowable.write([1])).size).toBe(0);

    const before = snapshot();
    const p = listen.move();
    expect(since(before).invalidations).toBe(2);
    expect(entries.map((e) => e.stale)).toEqual([true, true]);
    expect(others.map((e) => e.stale)).toEqual([false, false]);
    m.flow('>in', m.admittance('>in', Flowable.write([1, 2])));
    expect(p.read()).toEqual([2, 3]);
    expect(since(before).recompiles).toBe(2);
    expect(since(before).compiles).toBe(0); // the same shape: bound from the cache
  });

  it('carries an end of stream sent before the move, and refuses when there is nothing to move', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    expect(() => listen.move()).toThrow(/is not connected; there is no connection to move/);
    expect(life.counts(io).processes).toBe(1);
    const client = Port.create(io);
    client.connect(listen);
    client.write(['early']); // the listener admits nothing yet
    client.end();
    const p = listen.move();
    expect(p.isEnded).toBe(true);
    expect(await p.readAll()).toEqual([]);
  });
});

describe('waits', () => {
  it('a change wakes every waiter it concerns', async () => {
    const io = new IO();
    const [a, b] = [Port.create(io), Port.create(io)];
    const connected = [a.connected(), a.connected(), b.connected()];
    a.connect(b);
    expect(await Promise.all(connected)).toEqual([true, true, true]);
    const readable = [b.readable(), b.readable(), b.readable()];
    a.write([1]);
    expect(await Promise.all(readable)).toEqual([true, true, true]);
    const disconnected = [a.disconnected(), b.disconnected(), a.disconnected()];
    b.disconnect();
    expect(await Promise.all(disconnected)).toEqual([true, true, true]);
    expect(life.counts(io).waiters).toBe(0);
  });

  it('a wait re-checks the connection: a new connection on the same port does not satisfy it', async () => {
    const io = new IO();
    const s = new Scheduler({ seed: 7 });
    life.useScheduler(io, s);
    const [a, b, c] = [Port.listen(io), Port.create(io), Port.create(io)];
    a.connect(b);
    const readable = b.readable();
    const writable = b.writable(); // a listener admits nothing: b waits
    // In one step: the connection ends, another takes the port, and data arrives.
    a.disconnect();
    c.connect(b);
    c.write([5]);
    await drive(s);
    expect(await readable).toBe(false);
    expect(await writable).toBe(false);
    const fresh = b.readable();
    await drive(s);
    expect(await fresh).toBe(true);
  });

  it('a wait on a port that ceases to exist settles false', async () => {
    const io = new IO();
    const [a, b] = [Port.create(io), Port.create(io)];
    const connected = a.connected();
    a.destroy();
    expect(await connected).toBe(false);
    b.connect(Port.create(io));
    const readable = b.readable();
    b.destroy();
    expect(await readable).toBe(false);
    expect(await b.connected()).toBe(false);
    expect(life.counts(io).waiters).toBe(0);
  });

  it('writable wakes when the reader makes room', async () => {
    const io = new IO();
    const a = Port.create(io);
    const b = Port.create(io, { capacity: 2 });
    a.connect(b);
    expect(a.write([1, 2, 3])).toBe(2);
    const writable = a.writable();
    expect(await peek(writable)).toBe('pending');
    expect(b.read(1)).toEqual([1]);
    expect(await writable).toBe(true);
    expect(a.write([3])).toBe(1);
  });
});

describe('the server pattern', () => {
  it('runs as written in the seed', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const served: unknown[] = [];
    const loop = (async () => {
      while (await listen.connected()) {
        const p = listen.move();
        void p.readAll().then((xs) => {
          served.push(...xs);
          p.close();
        });
      }
    })();
    await Promise.all([1, 2, 3].map(async (x) => {
      const c = Port.create(io);
      await c.connect(listen, { wait: true });
      c.write([x]);
      c.close();
    }));
    await tick();
    expect(served.sort()).toEqual([1, 2, 3]);
    listen.destroy();
    await loop;
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 3 });
  });

  it('can be paused, and bounds how many connections are served at once', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const held: Port[] = [];
    const acceptor = serve(listen, (p) => held.push(p), { concurrency: 2, paused: true });
    const clients = Array.from({ length: 6 }, () => Port.create(io));
    const connects = clients.map((c) => c.connect(listen, { wait: true }));
    await tick();
    expect(acceptor.accepted).toBe(0); // paused: one client on the listener, five in line
    expect(listen.isConnected).toBe(true);
    acceptor.resume();
    await tick();
    expect(acceptor.accepted).toBe(2); // the limit
    expect(acceptor.active).toBe(2);
    held[0].close();
    clients[0].close();
    await tick();
    expect(acceptor.accepted).toBe(3);
    acceptor.pause();
    held[1].close();
    clients[1].close();
    await tick();
    expect(acceptor.accepted).toBe(3);
    acceptor.resume();
    await tick();
    expect(acceptor.accepted).toBe(4);
    expect(clients[4].peer()?.process).toBe(listen.process);
    acceptor.close(); // the fifth client loses the listener; the sixth, still in line, fails cleanly
    const outcomes = await Promise.allSettled(connects);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(clients[4].state).toBe('free');
    await acceptor.done;
  });

  const many = async (seed: number) => {
    const io = new IO();
    const s = new Scheduler({ seed });
    life.useScheduler(io, s);
    const listen = Port.listen(io, { capacity: 4 });
    const order: number[] = [];
    const acceptor = serve(listen, async (p) => {
      const xs = (await p.readAll()) as number[];
      order.push(xs[0]);
      await p.send(xs.map((x) => x * 2));
      p.close();
    });
    const n = 1000;
    const results: unknown[][] = new Array(n);
    const errors: unknown[] = [];
    for (let i = 0; i < n; i++) {
      s.schedule(() => void (async () => {
        const c = Port.create(io, { capacity: 4 });
        await c.connect(listen, { wait: true });
        await c.send([i, i + 1, i + 2, i + 3, i + 4]);
        c.end();
        results[i] = await c.readAll();
        c.close();
        c.destroy();
      })().catch((e) => errors.push(e)));
    }
    await drive(s);
    return { io, s, acceptor, order, results, errors };
  };

  it('serves 1,000 clients connecting at once, under seeded shuffles, leaving nothing behind', async () => {
    for (const seed of [11, 12]) {
      const { io, s, acceptor, results, errors } = await many(seed);
      expect(errors).toEqual([]);
      expect(acceptor.accepted).toBe(1000);
      results.forEach((r, i) => expect(r).toEqual([2 * i, 2 * i + 2, 2 * i + 4, 2 * i + 6, 2 * i + 8]));
      // Only the acceptor's wait for the next client is left.
      expect(life.counts(io)).toEqual({ connections: 0, waiters: 1, processes: 1 });
      acceptor.close();
      await drive(s);
      await acceptor.done;
      expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 0 });
    }
  }, 30_000);

  it('the seeded shuffle is real and replays: one seed, one order; another seed, another', async () => {
    const a = await many(5);
    const b = await many(5);
    const c = await many(6);
    expect(a.order).toEqual(b.order);
    expect(a.order).not.toEqual(c.order);
    expect(a.order.slice().sort((x, y) => x - y)).toEqual(c.order.slice().sort((x, y) => x - y));
  }, 30_000);
});

describe('no leaks', () => {
  it('10,000 connect/close cycles leave no connection records, waiters or ports behind', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const acceptor = serve(listen, async (p) => {
      await p.send(await p.readAll());
      p.close();
    });
    const c = Port.create(io);
    let echoed = 0;
    for (let i = 0; i < 10_000; i++) {
      // Waits while the client is still connected from the previous cycle (half-open).
      await c.connect(listen, { wait: true });
      c.write([i]);
      c.end();
      const got = await c.readAll();
      if (got[0] === i) echoed++;
      c.close();
      if (i % 2500 === 0) expect(life.counts(io).connections).toBeLessThanOrEqual(2);
    }
    await c.disconnected();
    expect(echoed).toBe(10_000);
    expect(acceptor.accepted).toBe(10_000);
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 1, processes: 2 });
    c.destroy();
    acceptor.close();
    await acceptor.done;
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 0 });
  }, 60_000);
});
