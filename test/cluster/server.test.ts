// The private-server harness itself: it starts on its own port and store, a
// kill with -9 keeps what JetStream stored, and stop() removes the store.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describeNats, startServer, type PrivateServer } from './server.js';

describeNats('private nats-server harness', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps stored messages across kill -9 and restart on the same store, and stop() removes the store', async () => {
    expect(server.port).not.toBe(4222);
    let nc = await connect({ servers: server.url, noAsyncTraces: true });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'harness', subjects: ['harness.>'] });
    const ack = await jetstream(nc).publish('harness.one', 'kept');
    await nc.close();

    await server.kill9();
    await expect(connect({ servers: server.url, reconnect: false, timeout: 500 })).rejects.toThrow();
    await server.restart();

    nc = await connect({ servers: server.url, noAsyncTraces: true });
    const stored = await (await jetstreamManager(nc)).streams.getMessage('harness', { seq: ack.seq });
    expect(stored?.string()).toBe('kept');
    await nc.close();

    await server.stop();
    expect(existsSync(server.storeDir)).toBe(false);
    await server.stop(); // a second stop is harmless
  });
});
