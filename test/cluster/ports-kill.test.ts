// Cross-host ports with hosts as OS processes (test/cluster/port-host.ts), killed
// with -9 and started again: the reading host, the writing host between a
// publish and its acknowledgement, and the test's own nats-server. Each time
// every record must reach the reading host's sink exactly once and in order;
// the sink's file is counted at the end. The kills happen at points the
// children announce (a stall, a pause), never after a sleep. The reading host
// trims the stream as it commits, so the restarts find their positions in a
// trimmed stream (checked by its first sequence).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectToCluster, ClusterUnreachableError } from '../../cluster/connect.js';
import { subjectsOf } from '../../cluster/port-messages.js';
import { bundle, removeBundles, runBundle } from './bundled-child.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const COUNT = 3_000;

/** The records in a reader's sink file, in file order. */
function sinkRecords(file: string): number[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map(Number);
}

const expected = Array.from({ length: COUNT }, (_, i) => i);

/** The first sequence the connection's stream still holds (1 until the reader trimmed it). */
async function firstSeq(servers: string, name: string): Promise<number> {
  const connection = await connectToCluster({ servers });
  try {
    return (await (await jetstreamManager(connection)).streams.info(subjectsOf(name).stream)).state.first_seq;
  } finally {
    await connection.close();
  }
}

describeNats('cross-host ports: hosts killed with -9', () => {
  let server: PrivateServer;
  let host: string;
  let dir: string;
  let count = 0;
  const fresh = (): string => `k${count++}`;

  beforeAll(async () => {
    server = await startServer();
    host = bundle('test/cluster/port-host.ts');
    dir = mkdtempSync(join(tmpdir(), 'pushback-ports-'));
  });
  afterAll(async () => {
    await server?.stop();
    removeBundles();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('the reading host killed between delivery and commit, then started again: the durable consumer resumes, every record once, in order', async () => {
    const name = fresh();
    const file = join(dir, `${name}.sink`);
    const writer = runBundle(host, ['writer', server.url, name, String(COUNT)]);
    const first = runBundle(host, ['reader', server.url, name, file, '1234']);
    await first.line('stalled ');
    await first.kill9();
    // Before the kill the sink had committed some messages, not all.
    const before = sinkRecords(file);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(1234);
    const second = runBundle(host, ['reader', server.url, name, file]);
    expect(await second.line('ended ')).toBe('ended end');
    await writer.line('done');
    expect(sinkRecords(file)).toEqual(expected);
    expect(await firstSeq(server.url, name)).toBeGreaterThan(1);
  });

  it('the writing host killed between a publish and its acknowledgement, then started again: it resumes where the stream is, no duplicate', async () => {
    const name = fresh();
    const file = join(dir, `${name}.sink`);
    const reader = runBundle(host, ['reader', server.url, name, file]);
    // Message 250 of at least 300 (at most ten records a message): by then the reader trims what it committed.
    const first = runBundle(host, ['writer', server.url, name, String(COUNT), '250']);
    expect(await first.line('resume ')).toBe('resume 0');
    await first.line('published 250');
    await first.kill9();
    const second = runBundle(host, ['writer', server.url, name, String(COUNT)]);
    const resumed = Number((await second.line('resume ')).slice('resume '.length));
    // Message 250 reached the server before the kill: the stream holds it, so the writer resumes after it.
    expect(resumed).toBeGreaterThanOrEqual(250);
    await second.line('done');
    expect(await reader.line('ended ')).toBe('ended end');
    expect(sinkRecords(file)).toEqual(expected);
    expect(await firstSeq(server.url, name)).toBeGreaterThan(1);
  });

  it('the nats-server killed with -9 mid-stream and restarted on its store: both hosts go on and the pipeline completes', async () => {
    const name = fresh();
    const file = join(dir, `${name}.sink`);
    const reader = runBundle(host, ['reader', server.url, name, file]);
    const writer = runBundle(host, ['writer', server.url, name, String(COUNT), '5']);
    await writer.line('published 5');
    await server.kill9();
    await server.restart();
    writer.send('go');
    await writer.line('done');
    expect(await reader.line('ended ')).toBe('ended end');
    expect(sinkRecords(file)).toEqual(expected);
  });

  it('no server reachable at start: a clear error naming the servers, within the deadline', async () => {
    const unreachable = 'nats://127.0.0.1:1';
    const error = await connectToCluster({ servers: unreachable, deadlineMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as Error).message).toContain(unreachable.replace('nats://', ''));
  });
});
