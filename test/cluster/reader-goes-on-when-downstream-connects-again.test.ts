// Regression: a JetStream reader whose downstream was disconnected while it held
// messages stalled for good once connected again. Its fetches waited for room
// that only a drain makes, and nothing drained it: the reconnection woke no one.
// (In the cluster bench the sink was not pinned and was collected mid-stream,
// which disconnected the reader's output the same way, one run in three.)
//
// The interleaving is fixed here: the reader's output is disconnected before
// anything is written, every message is received and held, and only then is a
// new sink connected. A hang is "did not complete" within a generous cap.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { hostId } from '../../engine/address.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump } from '../../processes/sources/from.js';
import { connectToCluster } from '../../cluster/connect.js';
import { deleteConnection, JetStreamReader, JetStreamWriter } from '../../cluster/jetstream-link.js';
import { SEQ_HEADER, subjectsOf } from '../../cluster/port-messages.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const CAP_MS = 20_000;

/** Resolves true when `p` settles, false when it has not within the cap. */
function completes(p: Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CAP_MS)));
  return Promise.race([p.then(() => true), cap]).finally(() => clearTimeout(timer));
}

/** Resolves once `condition` holds, checked on every turn of the event loop; false if it never does within the cap. */
function becomes(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + CAP_MS;
  return new Promise((resolve) => {
    const look = (): void => {
      if (condition()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(look, 5);
    };
    look();
  });
}

describeNats('a JetStream reader goes on when its downstream is connected again', () => {
  let server: PrivateServer;
  let connA: NatsConnection;
  let connB: NatsConnection;

  beforeAll(async () => {
    server = await startServer();
    connA = await connectToCluster({ servers: server.url });
    connB = await connectToCluster({ servers: server.url });
  });
  afterAll(async () => {
    await connA?.close();
    await connB?.close();
    await server?.stop();
  });

  it('every record reaches the new sink once, in order, after a disconnect with messages held', async () => {
    for (let round = 0; round < 3; round++) {
      const name = `reconnect${round}`;
      const a = new IO({ host: hostId(1) });
      const b = new IO({ host: hostId(2) });
      const xs = Array.from({ length: 300 }, (_, i) => new Uint8Array(1024).fill(i & 255));
      const writer = await JetStreamWriter.open(a, connA, name, { maxMessageBytes: 20_000 });
      const errors: unknown[] = [];
      const reader = await JetStreamReader.open(b, connB, name, { onError: (e) => errors.push(e) });
      const first = new Process(b, collect);
      b.pin(first);
      reader.process.connect('out', first, 'in');
      reader.start();
      expect(reader.process.disconnect('out')).toBe(true);

      const source = new Process(a, from, { xs });
      source.connect('out', writer.process, 'in');
      while (pump(source) === 'blocked') await source.whenWritableAgain('out');
      expect(await completes(writer.finished)).toBe(true);
      const jsm = await jetstreamManager(connA);
      const subjects = subjectsOf(name);
      const last = await jsm.streams.getMessage(subjects.stream, { last_by_subj: subjects.data });
      const lastSeq = Number(last?.header?.get(SEQ_HEADER));
      expect(lastSeq).toBeGreaterThan(5);
      // Every message, the end of stream among them, is held: nothing more will arrive to wake the reader.
      expect(await becomes(() => reader.receivedSeq === lastSeq)).toBe(true);

      const second = new Process(b, collect);
      b.pin(second);
      reader.process.connect('out', second, 'in');
      expect(await completes(second.whenEnded('in'))).toBe(true);
      expect(second.endReason('in')).toEqual({ reason: 'end' });
      const got = second.state.items as Uint8Array[];
      expect(got.length).toBe(xs.length);
      expect(got.every((x, i) => x.length === 1024 && x[0] === (i & 255))).toBe(true);
      expect(first.state.items).toEqual([]);
      expect(reader.committed).toBe(lastSeq);
      // The wait for a downstream was reported, once, so that it does not pass for a hang.
      expect(errors.map(String)).toEqual([expect.stringContaining('output is not connected')]);
      await deleteConnection(connA, name);
    }
  }, 4 * CAP_MS);
});
