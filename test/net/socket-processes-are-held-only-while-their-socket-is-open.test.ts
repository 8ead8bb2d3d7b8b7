// The container holds a server's socket process (and the dedicated port serving
// it) strongly only while its socket is open: a connection whose socket has
// closed, and which nobody holds any more, is still collected like any process.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import * as life from '../../engine/ports.js';
import { Process } from '../../engine/process.js';
import { from } from '../../processes/sources/from.js';
import '../../processes/index.js';
import type { Port } from '../../net/endpoints.js';
import { tcpServer } from '../../net/tcp.js';
import { client, tick, until } from '../regressions/tcp-helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collectGarbage(done: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !done(); i++) {
    await tick();
    gc();
    await tick();
  }
}

describe('socket processes are held only while their socket is open', () => {
  it('collects a connection whose handler dropped its port once the client has gone', async () => {
    const io = new IO();
    const ports: WeakRef<Port>[] = [];
    // The handler neither reads nor closes: only the socket keeps the connection alive.
    const server = await tcpServer(io, (p: Port) => void ports.push(new WeakRef(p)));
    const c = client(server.port);
    await c.connected;
    await until(() => server.acceptor.accepted === 1);
    const dedicated = new WeakRef(ports[0].deref()!.process);
    // While the socket is open, the connection stays, though nobody else holds it.
    await collectGarbage(() => false);
    expect(dedicated.deref()).toBeDefined();
    expect(life.exists(dedicated.deref()!)).toBe(true);
    c.socket.resetAndDestroy(); // a FIN would leave the server side half-open: the handler never ends its stream
    await until(() => server.sockets.size === 0);
    // The socket has closed and the handler keeps nothing: the socket process and its port go.
    await collectGarbage(() => dedicated.deref() === undefined && io.count === 1);
    expect(dedicated.deref()).toBeUndefined();
    expect(io.count).toBe(1); // the listener
    expect(life.counts(io).connections).toBe(0);
    await server.close();
  }, 20_000);

  it('collects a process nobody holds even when it was made and dropped within one job', async () => {
    const io = new IO();
    const ref = new WeakRef(new Process(io, from, { xs: [1] }));
    expect(io.processFor(ref.deref()!.id)).toBe(ref.deref());
    await collectGarbage(() => ref.deref() === undefined && io.count === 0);
    expect(ref.deref()).toBeUndefined();
    expect(io.count).toBe(0);
  });
});
