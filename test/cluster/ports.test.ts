// Cross-host ports on JetStream, both ends in this process (two IO containers,
// two connections to a private server): records and their types, the end of
// stream with its reason, half-close, the publish window as admittance,
// redelivery dropped by sequence, a message that does not decode, a lost far
// host. The kill tests, with hosts as OS processes, are in ports-kill.test.ts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { hostId } from '../../engine/address.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { transportOf } from '../../engine/ports.js';
import { collect } from '../../processes/sinks/collect.js';
import { take } from '../../processes/elements/take.js';
import { from, pump, pumpOnce } from '../../processes/sources/from.js';
import { connectToCluster } from '../../cluster/connect.js';
import { JETSTREAM, JetStreamReader, JetStreamWriter, KEEP_BEHIND_LAST, MessageDecodeError, deleteConnection } from '../../cluster/jetstream-link.js';
import { subjectsOf } from '../../cluster/port-messages.js';
import { joinCluster } from '../../cluster/membership.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

/** Pushes an array source until it is done or cancelled, waiting on the writer's "writable again". */
async function pumpThrough(source: Process): Promise<void> {
  while (pump(source) === 'blocked') await source.whenWritableAgain('out');
}

describeNats('cross-host ports on JetStream', () => {
  let server: PrivateServer;
  let connA: NatsConnection;
  let connB: NatsConnection;
  let count = 0;
  const fresh = (): string => `t${count++}`;

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

  /** Source on host A → connection → collect on host B; returns the sink and both ends. */
  async function across(xs: unknown[], writerOptions = {}, readerOptions = {}) {
    const name = fresh();
    const a = new IO({ host: hostId(1) });
    const b = new IO({ host: hostId(2) });
    const writer = await JetStreamWriter.open(a, connA, name, writerOptions);
    const reader = await JetStreamReader.open(b, connB, name, readerOptions);
    const sink = new Process(b, collect);
    reader.process.connect('out', sink, 'in');
    reader.start();
    const source = new Process(a, from, { xs });
    source.connect('out', writer.process, 'in');
    return { name, a, b, writer, reader, sink, source };
  }

  it('numbers, byte chunks and other values arrive once, in order, as they were sent, then the end of stream', async () => {
    const ints = Array.from({ length: 10_000 }, (_, i) => i);
    const floats = [0.5, -0, NaN, Infinity, 1e300];
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(70_000).fill(7)];
    const buffers = [Buffer.from('a line\n'), Buffer.from('another')];
    const values = ['text', { a: [1, 'b'] }, null, undefined, 12n, new Map([[1, 2]]), Object.assign(new Array<number>(3), { 0: 1, 2: 3 })];
    for (const xs of [ints, floats, chunks, buffers, values] as unknown[][]) {
      const { sink, source, writer } = await across(xs);
      expect(transportOf(source, 'out')).toBe(JETSTREAM);
      await pumpThrough(source);
      await sink.whenEnded('in');
      expect(sink.endReason('in')).toEqual({ reason: 'end' });
      expect(sink.state.items).toEqual(xs);
      const items = sink.state.items as unknown[];
      if (xs === buffers) expect(Buffer.isBuffer(items[0])).toBe(true);
      if (xs === chunks) expect(Object.getPrototypeOf(items[0])).toBe(Uint8Array.prototype);
      await writer.finished;
    }
  });

  it('records are batched into full messages of at most the message size, numbered from 1', async () => {
    const xs = Array.from({ length: 40 }, (_, i) => new Uint8Array(64 * 1024).fill(i));
    const { name, sink, source } = await across(xs, { maxMessageBytes: 300_000 });
    await pumpThrough(source);
    await sink.whenEnded('in');
    expect((sink.state.items as Uint8Array[]).map((c) => c[0])).toEqual(xs.map((_, i) => i));
    const jsm = await jetstreamManager(connA);
    const info = await jsm.streams.info(subjectsOf(name).stream);
    // 40 chunks of 64 KiB, 4 to a message (a fifth would pass the limit): 10
    // data messages and the end, none split in two for being encoded too large.
    expect(info.state.messages).toBe(11);
    let seq = 0;
    for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
      const m = await jsm.streams.getMessage(subjectsOf(name).stream, { seq: s });
      expect(m!.data.length).toBeLessThanOrEqual(300_000);
      expect(Number(m!.header.get('Pb-Seq'))).toBe(++seq);
    }
  });

  it('a long-lived connection keeps a bounded stream: what the reader acknowledged is trimmed, both ends still find their positions', async () => {
    // 3,000 records of 100 bytes in messages of at most 400 bytes: about 1,000
    // messages. The writer admits 30 records at a time, so the source moves in
    // rounds; after each, once the reader has committed it, a trim, then the
    // stream is measured. (The reader also trims every 16 commits by itself.)
    const xs = Array.from({ length: 3_000 }, (_, i) => `record ${i} `.padEnd(100, '.'));
    const { name, a, sink, source, writer, reader } = await across(xs, { maxMessageBytes: 400, windowRecords: 30 }, { trimEveryMessages: 16 });
    const stream = subjectsOf(name).stream;
    const jsm = await jetstreamManager(connA);
    const kept: number[] = [];
    const received = (): number => (sink.state.items as unknown[]).length;
    while (received() < xs.length) {
      const moved = pumpOnce(source);
      if (moved === 'blocked') await source.whenWritableAgain('out');
      const sent = source.state.pos as number;
      await new Promise<void>((resolve) => {
        const check = (): void => (received() >= sent && writer.inFlight === 0 ? resolve() : void setImmediate(check));
        check();
      });
      await connB.flush(); // the acknowledgements have reached the server
      await reader.trimNow();
      kept.push((await jsm.streams.info(stream)).state.messages);
    }
    expect(pumpOnce(source)).toBe('done');
    await sink.whenEnded('in');
    await writer.finished;
    expect(sink.state.items).toEqual(xs);
    const { state } = await jsm.streams.info(stream);
    expect(state.last_seq).toBeGreaterThan(600);
    expect(kept.length).toBeGreaterThan(50);
    // After each round the stream held the last KEEP_BEHIND_LAST messages and the one at the ack floor at most.
    expect(Math.max(...kept)).toBeLessThanOrEqual(KEEP_BEHIND_LAST + 1);
    expect(state.first_seq).toBeGreaterThan(1);

    // After the trims, a writer opened again still finds where the stream is,
    // and a reader opened again what was committed.
    await connB.flush();
    const again = await JetStreamWriter.open(a, connA, name);
    expect(again.complete).toBe(true);
    expect(again.resumeFrom).toBe(3_000);
    const reopened = await JetStreamReader.open(new IO({ host: hostId(3) }), connB, name);
    expect(reopened.committed).toBe(reader.committed);
  });

  it('an error end crosses with its reason', async () => {
    const { source, sink } = await across([1, 2]);
    // One round moves both records without ending the source; then its side ends with an error.
    expect(pumpOnce(source)).toBe('moved');
    const failure = Object.assign(new TypeError('bad input upstream'), { code: 'E_UP' });
    source.end('out', { reason: 'error', error: failure });
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual([1, 2]);
    const why = sink.endReason('in') as { reason: string; error: Error & { code?: string } };
    expect(why.reason).toBe('error');
    expect(why.error.name).toBe('TypeError');
    expect(why.error.message).toBe('bad input upstream');
    expect(why.error.code).toBe('E_UP');
  });

  it('the reader\'s downstream stopping is a half-close: the writer\'s input ends and the source stops', async () => {
    const name = fresh();
    const a = new IO({ host: hostId(1) });
    const b = new IO({ host: hostId(2) });
    const writer = await JetStreamWriter.open(a, connA, name, { windowRecords: 100 });
    const reader = await JetStreamReader.open(b, connB, name);
    const first = new Process(b, take, { limit: 5 });
    const sink = new Process(b, collect);
    reader.process.connect('out', first, 'in');
    first.connect('out', sink, 'in');
    reader.start();
    const source = new Process(a, from, { xs: Array.from({ length: 1_000_000 }, (_, i) => i) });
    source.connect('out', writer.process, 'in');
    await pumpThrough(source);
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual([0, 1, 2, 3, 4]);
    await writer.finished;
    expect(writer.process.sentReason('in')).toEqual({ reason: 'end' });
    expect(source.isEnded('out')).toBe(true);
    // The window bounded what the source could push before the half-close reached it.
    expect(source.state.pos).toBeLessThan(1_000_000);
  });

  it('the publish window is the writer\'s admittance: no more than it is in flight', async () => {
    const name = fresh();
    const a = new IO({ host: hostId(1) });
    const writer = await JetStreamWriter.open(a, connA, name, { windowRecords: 10 });
    const source = new Process(a, from, { xs: Array.from({ length: 25 }, (_, i) => i) });
    source.connect('out', writer.process, 'in');
    expect(pump(source)).toBe('blocked');
    expect(source.state.pos).toBe(10);
    expect(writer.inFlight).toBe(10);
    // Acknowledgements free the window; with no reader at all, the stream takes everything.
    await pumpThrough(source);
    await writer.finished;
    const reader = await JetStreamReader.open(new IO({ host: hostId(2) }), connB, name);
    const sink = new Process(reader.process.io, collect);
    reader.process.connect('out', sink, 'in');
    reader.start();
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('a writer opened again resumes after what the stream holds; a finished connection says so', async () => {
    const { name, a, sink, source, writer } = await across(Array.from({ length: 7 }, (_, i) => i));
    // Stop the first writer after its records are stored, without an end of stream.
    expect(pumpOnce(source)).toBe('moved');
    await new Promise<void>((resolve) => {
      const check = (): void => (writer.inFlight === 0 ? resolve() : void setImmediate(check));
      check();
    });
    const again = await JetStreamWriter.open(a, connA, name);
    expect(again.resumeFrom).toBe(7);
    expect(again.complete).toBe(false);
    const rest = new Process(a, from, { xs: [7, 8, 9] });
    rest.connect('out', again.process, 'in');
    await pumpThrough(rest);
    await again.finished;
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const third = await JetStreamWriter.open(a, connA, name);
    expect(third.complete).toBe(true);
    expect(third.resumeFrom).toBe(10);
  });

  it('a message published twice with one id is stored once; one delivered again is dropped by its sequence', async () => {
    const name = fresh();
    const b = new IO({ host: hostId(2) });
    const reader = await JetStreamReader.open(b, connB, name);
    const sink = new Process(b, collect);
    reader.process.connect('out', sink, 'in');
    const js = jetstream(connA);
    const publish = (seq: number, kind: string, upto: number, payload: Uint8Array) => {
      const h = headers();
      h.set('Pb-Seq', String(seq));
      h.set('Pb-Kind', kind);
      h.set('Pb-Upto', String(upto));
      return js.publish(subjectsOf(name).data, payload, { headers: h, msgID: `${name}.${seq}` });
    };
    const one = new Uint8Array(new Int32Array([1]).buffer);
    const two = new Uint8Array(new Int32Array([2]).buffer);
    expect((await publish(1, 'i32', 1, one)).duplicate).toBe(false);
    expect((await publish(1, 'i32', 1, one)).duplicate).toBe(true);
    // Without a message id the server keeps both: the reader drops the second by its Pb-Seq.
    const h = headers();
    h.set('Pb-Seq', '1');
    h.set('Pb-Kind', 'i32');
    h.set('Pb-Upto', '1');
    await js.publish(subjectsOf(name).data, one, { headers: h });
    await publish(2, 'i32', 2, two);
    await publish(3, 'end', 2, new Uint8Array(0));
    reader.start();
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual([1, 2]);
  });

  it('a writer resumes after the highest Pb-Seq, also when a retried publish was stored after later ones', async () => {
    const name = fresh();
    const js = jetstream(connA);
    const jsm = await jetstreamManager(connA);
    await jsm.streams.add({ name: subjectsOf(name).stream, subjects: [subjectsOf(name).data, subjectsOf(name).back] });
    // Stored in the order 1, 2, 4, 3: message 3 was retried after an outage.
    for (const [seq, upto] of [[1, 2], [2, 4], [4, 8], [3, 6]] as const) {
      const h = headers();
      h.set('Pb-Seq', String(seq));
      h.set('Pb-Kind', 'i32');
      h.set('Pb-Upto', String(upto));
      await js.publish(subjectsOf(name).data, new Uint8Array(new Int32Array([upto - 2, upto - 1]).buffer), { headers: h, msgID: `${name}.${seq}` });
    }
    const a = new IO({ host: hostId(1) });
    const writer = await JetStreamWriter.open(a, connA, name);
    expect(writer.resumeFrom).toBe(8);
    const rest = new Process(a, from, { xs: [8, 9] });
    rest.connect('out', writer.process, 'in');
    await pumpThrough(rest);
    await writer.finished;
    const b = new IO({ host: hostId(2) });
    const reader = await JetStreamReader.open(b, connB, name);
    const sink = new Process(b, collect);
    reader.process.connect('out', sink, 'in');
    reader.start();
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a message that does not decode ends the port with an error naming its subject and sequence', async () => {
    const name = fresh();
    const b = new IO({ host: hostId(2) });
    const reported: unknown[] = [];
    const reader = await JetStreamReader.open(b, connB, name, { onError: (e) => reported.push(e) });
    const sink = new Process(b, collect);
    reader.process.connect('out', sink, 'in');
    reader.start();
    const h = headers();
    h.set('Pb-Seq', '1');
    h.set('Pb-Kind', 'values');
    const ack = await jetstream(connA).publish(subjectsOf(name).data, new Uint8Array([99, 1, 2]), { headers: h });
    await sink.whenEnded('in');
    const why = sink.endReason('in') as { reason: string; error: MessageDecodeError };
    expect(why.reason).toBe('error');
    expect(why.error).toBeInstanceOf(MessageDecodeError);
    expect(why.error.subject).toBe(subjectsOf(name).data);
    expect(why.error.sequence).toBe(ack.seq);
    expect(why.error.message).toContain(`message ${ack.seq} on ${subjectsOf(name).data}`);
    expect(reported).toEqual([why.error]);
  });

  it('a port whose far host is lost ends with host-lost once the stream holds nothing more', async () => {
    const lostAfterMs = 1_500;
    const bucket = `hosts_${fresh()}`;
    const far = await joinCluster({ servers: server.url, bucket, lostAfterMs, name: 'far' });
    const near = await joinCluster({ servers: server.url, bucket, lostAfterMs, name: 'near' });
    try {
      if (!near.peers().has(far.index)) {
        await new Promise<void>((resolve) => {
          const off = near.on((e) => e.type === 'joined' && e.host.index === far.index && (off(), resolve()));
        });
      }
      const name = fresh();
      const writer = await JetStreamWriter.open(new IO({ host: far.id }), far.connection, name);
      const b = new IO({ host: near.id });
      const reader = await JetStreamReader.open(b, near.connection, name, { farHost: { membership: near, index: far.index }, fetchExpiresMs: 500 });
      const sink = new Process(b, collect);
      reader.process.connect('out', sink, 'in');
      reader.start();
      const source = new Process(writer.process.io, from, { xs: [1, 2, 3] });
      source.connect('out', writer.process, 'in');
      // Three records and no end of stream: the writing host then stops as a crash would.
      expect(pumpOnce(source)).toBe('moved');
      await new Promise<void>((resolve) => {
        const check = (): void => (writer.inFlight === 0 ? resolve() : void setImmediate(check));
        check();
      });
      await far.abandon();
      await sink.whenEnded('in');
      expect(sink.state.items).toEqual([1, 2, 3]);
      const why = sink.endReason('in') as { reason: string; error: Error & { code?: string } };
      expect(why.reason).toBe('error');
      expect(why.error.code).toBe('host-lost');
      expect(why.error.message).toContain(`host ${far.index}`);
    } finally {
      await near.leave();
    }
  });

  it('deleteConnection removes the connection\'s stream', async () => {
    const { name, sink, source } = await across([1]);
    await pumpThrough(source);
    await sink.whenEnded('in');
    expect(await deleteConnection(connA, name)).toBe(true);
    const jsm = await jetstreamManager(connA);
    await expect(jsm.streams.info(subjectsOf(name).stream)).rejects.toThrow();
  });
});
