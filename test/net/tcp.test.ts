// TCP on the server pattern, over 127.0.0.1 only. Every wait is on an event
// (a reply, an end of stream, a socket closing), never on a clock; each test
// has a bound.
import { connect as netConnect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import * as life from '../../engine/ports.js';
import { since, snapshot } from '../../jit/stats.js';
import '../../processes/index.js';
import type { Chain } from '../../api/chain.js';
import type { Port } from '../../net/endpoints.js';
import { tcpConnect, tcpServer, type TcpServer } from '../../net/tcp.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits (event-loop turns, not time) until `cond()` holds; fails after `turns`. */
async function until(cond: () => boolean, turns = 20_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error('condition not reached');
}

const echo = (p: Port): void => p.pipe((c) => c);
const upperLines = (c: Chain<unknown>): Chain<unknown> => (c as Chain<number>).lines().map((l) => l.toUpperCase()).unlines();
const upper = (p: Port): void => p.pipe(upperLines);

/** Sends `text`, half-closes, and returns everything the server sends back until its end of stream. */
async function exchange(port: number, io: IO, text: string): Promise<string> {
  const c = await tcpConnect(io, { port });
  expect(await c.send(Buffer.from(text))).toBe(true);
  c.end();
  const got = Buffer.from(c.readBytes()).toString();
  const rest = (await c.readAll()) as Uint8Array[];
  c.close();
  return got + Buffer.concat(rest).toString();
}

async function closeAll(server: TcpServer): Promise<void> {
  await server.close();
  await until(() => server.sockets.size === 0);
}

describe('TCP', () => {
  it('echoes bytes through a dedicated port per connection', async () => {
    const io = new IO();
    const server = await tcpServer(io, echo);
    const big = 'x'.repeat(300_000) + '\n';
    expect(await exchange(server.port, io, 'hello\n')).toBe('hello\n');
    expect(await exchange(server.port, io, big)).toBe(big);
    expect(server.acceptor.accepted).toBe(2);
    await closeAll(server);
  }, 20_000);

  it('a handler that pipes at once has its socket connected straight to the relay; one that reads first gets its port', async () => {
    const io = new IO();
    const ops: string[] = [];
    life.observe(io, (e) => ops.push(e.op));
    const served: string[] = [];
    const server = await tcpServer(io, (p: Port) => {
      if (served.length === 0) {
        // Uses its port before it pipes: a dedicated endpoint, then the move into the relay, as always.
        served.push(`${p.process.def.name} ${p.available}`);
        p.pipe((c) => c);
      } else {
        p.pipe((c) => c);
        served.push(p.process.def.name);
      }
    });
    const clients = new IO();
    expect(await exchange(server.port, clients, 'first\n')).toBe('first\n');
    expect(ops.filter((op) => op === 'move')).toEqual(['move']);
    ops.length = 0;
    expect(await exchange(server.port, clients, 'second\n')).toBe('second\n');
    // No listener, no dedicated endpoint, no move: the socket process and the relay.
    expect(ops.filter((op) => op === 'move')).toEqual([]);
    await until(() => ops.filter((op) => op === 'remove').length === 2);
    expect(served).toEqual(['endpoint 0', 'relay']);
    await closeAll(server);
  }, 20_000);

  it('upper-cases lines, and every connection after the first reuses the compiled pipeline', async () => {
    const io = new IO();
    const server = await tcpServer(io, { pipe: upperLines });
    expect(await exchange(server.port, io, 'first\n')).toBe('FIRST\n');
    const before = snapshot();
    for (let i = 0; i < 20; i++) expect(await exchange(server.port, io, `line ${i}\nand more\n`)).toBe(`LINE ${i}\nAND MORE\n`);
    const delta = since(before);
    expect(delta.compiles).toBe(0); // one compile for all connections of this pipeline shape
    expect(delta.cacheHits).toBeGreaterThanOrEqual(20);
    await closeAll(server);
  }, 20_000);

  it('maps half-close: the client shuts its write side, the server drains, replies and closes', async () => {
    const io = new IO();
    const server = await tcpServer(io, upper);
    // A plain Node client: FIN after the request; the reply and the server's FIN come after it.
    const raw = netConnect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    raw.on('data', (b: Buffer) => chunks.push(b));
    const ended = new Promise<void>((resolve) => raw.once('end', () => resolve()));
    raw.write('half\nclosed\n');
    raw.end();
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('HALF\nCLOSED\n');
    raw.destroy();
    // An engine client: end() is FIN; it still reads the reply and then sees end of stream.
    const c = await tcpConnect(io, { port: server.port });
    await c.send(['no newline at the end']);
    c.end();
    expect(c.isConnected).toBe(true);
    const reply = Buffer.concat((await c.readAll()) as Uint8Array[]).toString();
    expect(reply).toBe('NO NEWLINE AT THE END\n');
    expect(c.isEnded).toBe(true);
    c.close();
    await closeAll(server);
  }, 20_000);

  it('serves 200 concurrent clients', async () => {
    const io = new IO();
    const server = await tcpServer(io, upper);
    const n = 200;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => exchange(server.port, io, `client ${i}\n${'abc'.repeat(i)}\n`)));
    replies.forEach((r, i) => expect(r).toBe(`CLIENT ${i}\n${'ABC'.repeat(i)}\n`));
    expect(server.acceptor.accepted).toBe(n);
    await until(() => server.sockets.size === 0);
    await closeAll(server);
  }, 30_000);

  it('accepts nothing while paused; waiting clients are served on resume', async () => {
    const io = new IO();
    const server = await tcpServer(io, upper, { paused: true });
    const c = await tcpConnect(io, { port: server.port });
    await c.send(['wait\n']);
    c.end();
    await until(() => server.sockets.size === 1 && server.listen.isConnected);
    expect(server.acceptor.accepted).toBe(0);
    expect(c.available).toBe(0);
    server.resume();
    expect(Buffer.concat((await c.readAll()) as Uint8Array[]).toString()).toBe('WAIT\n');
    c.close();
    await closeAll(server);
  }, 20_000);

  it('leaves no connection records or processes behind once everything has closed', async () => {
    const io = new IO();
    const server = await tcpServer(io, upper);
    for (let i = 0; i < 10; i++) expect(await exchange(server.port, io, `${i}\n`)).toBe(`${i}\n`);
    await closeAll(server);
    // The clients' sockets close once both FINs are through.
    await until(() => {
      gc();
      return life.counts(io).connections === 0 && life.counts(io).processes <= 10;
    });
    // What is left are the client ports (free) and garbage not yet collected.
    for (let i = 0; i < 20 && life.counts(io).processes > 0; i++) {
      await tick();
      gc();
      await tick();
    }
    expect(life.counts(io)).toEqual({ connections: 0, waiters: 0, processes: 0 });
  }, 30_000);
});
