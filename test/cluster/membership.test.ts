// Joining a cluster: host ids claimed atomically, peers learned, a lost host
// noticed, a server killed with -9 survived. Every wait is on an event or a
// server-side change, bounded by the test's timeout; loss timeouts are short.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { joinCluster, type ClusterHost, type JoinOptions, type MembershipEvent } from '../../cluster/membership.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

/** Resolves with the first event from `host` that satisfies `match`. */
function nextEvent(host: ClusterHost, match: (e: MembershipEvent) => boolean): Promise<MembershipEvent> {
  return new Promise((resolve) => {
    const off = host.on((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Resolves once `host` knows a peer with index `index` (already, or when it joins). */
function knows(host: ClusterHost, index: number): Promise<unknown> {
  if (host.peers().has(index)) return Promise.resolve();
  return nextEvent(host, (e) => e.type === 'joined' && e.host.index === index);
}

describeNats('cluster membership', () => {
  let server: PrivateServer;
  let admin: NatsConnection;
  const hosts: ClusterHost[] = [];
  let bucketCount = 0;

  /** A fresh bucket per test, so claims from one test never meet another's. */
  function options(extra: Partial<JoinOptions> = {}): JoinOptions {
    // Long enough that a loaded machine does not fake a loss; the loss test shortens it.
    return { servers: server.url, bucket: `hosts_${bucketCount}`, lostAfterMs: 5_000, ...extra };
  }
  async function join(extra: Partial<JoinOptions> = {}): Promise<ClusterHost> {
    const host = await joinCluster(options(extra));
    hosts.push(host);
    return host;
  }
  async function bucket(): Promise<KV> {
    return new Kvm(admin).open(`hosts_${bucketCount}`);
  }

  beforeAll(async () => {
    server = await startServer();
    admin = await connect({ servers: server.url, noAsyncTraces: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  });
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.abandon()));
    bucketCount++;
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  it('two hosts get different ids in 1..2^20-1, learn each other, and see a leave', async () => {
    const a = await join({ name: 'a' });
    const b = await join({ name: 'b' });
    expect(a.index).toBe(1);
    expect(b.index).toBe(2);
    expect(a.id).toBe(1n << 44n);
    await knows(a, b.index);
    await knows(b, a.index);
    expect(a.peers().get(b.index)?.name).toBe('b');
    expect(b.peers().get(a.index)?.name).toBe('a');

    const left = nextEvent(a, (e) => e.type === 'left');
    await b.leave();
    expect(await left).toEqual({ type: 'left', index: b.index });
    expect(a.peers().has(b.index)).toBe(false);
  });

  it('many hosts claiming at once never share an id', async () => {
    const count = 24;
    const joined = await Promise.all(Array.from({ length: count }, (_, i) => join({ name: `h${i}` })));
    const indices = joined.map((h) => h.index).sort((x, y) => x - y);
    expect(new Set(indices).size).toBe(count);
    // Lowest free first: the claims fill 1..count with no gaps.
    expect(indices).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    // The bucket agrees: each key holds the claim of the host that thinks it owns it.
    const kv = await bucket();
    for (const h of joined) {
      const entry = await kv.get(`host.${h.index}`);
      expect(entry?.json<{ owner: string }>().owner).toBe(h.record.owner);
    }
  });

  it('a host that stops beating without leaving is lost within the timeout, and its id is freed', async () => {
    const a = await join({ name: 'a', lostAfterMs: 1_500 });
    const b = await join({ name: 'b', lostAfterMs: 1_500 });
    await knows(a, b.index);
    const lost = nextEvent(a, (e) => e.type === 'lost');
    await b.abandon();
    expect(await lost).toEqual({ type: 'lost', index: b.index });
    expect(a.peers().has(b.index)).toBe(false);
    // The server forgets the lapsed claim by itself (the bucket's max age), so the id is free again.
    const kv = await bucket();
    const freed = (async () => {
      while ((await kv.get(`host.${b.index}`)) !== null) await new Promise((r) => setTimeout(r, 50));
    })();
    await freed;
    const c = await join({ name: 'c', lostAfterMs: 1_500 });
    expect(c.index).toBe(b.index);
  });

  it('a claim deleted behind the host is re-established by its next heartbeat', async () => {
    const a = await join({ name: 'a' });
    const kv = await bucket();
    const reclaimed = nextEvent(a, (e) => e.type === 'reclaimed');
    await kv.delete(`host.${a.index}`);
    expect(await reclaimed).toEqual({ type: 'reclaimed', index: a.index });
    const entry = await kv.get(`host.${a.index}`);
    expect(entry?.operation).toBe('PUT');
    expect(entry?.json<{ owner: string }>().owner).toBe(a.record.owner);
  });

  it('a host whose id was taken by another says so and stops claiming it', async () => {
    const a = await join({ name: 'a' });
    const kv = await bucket();
    const claimLost = nextEvent(a, (e) => e.type === 'claim-lost');
    const intruder = { ...a.record, name: 'intruder', owner: 'someone-else' };
    await kv.put(`host.${a.index}`, JSON.stringify(intruder));
    const event = await claimLost;
    expect(event).toMatchObject({ type: 'claim-lost', index: a.index, by: { name: 'intruder' } });
    expect((await kv.get(`host.${a.index}`))?.json<{ owner: string }>().owner).toBe('someone-else');
  });

  it('bad timing options are refused before connecting', async () => {
    await expect(joinCluster({ servers: server.url, lostAfterMs: 1000, heartbeatMs: 1000 })).rejects.toThrow(/heartbeatMs \(1000\) must be positive and below lostAfterMs \(1000\)/);
  });

  it('a bucket made with another loss timeout is refused, naming both', async () => {
    await join({ lostAfterMs: 5_000 });
    await expect(joinCluster(options({ lostAfterMs: 3_000 }))).rejects.toThrow(/frees host ids after 5000 ms, but this host was configured with lostAfterMs 3000/);
  });
});

describeNats('cluster membership when the server is killed', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('after kill -9 and a restart on the same store, hosts beat again and still know each other', async () => {
    // A long loss timeout: nothing here waits for a loss, and a loaded machine must not fake one.
    const options = { servers: server.url, bucket: 'hosts', lostAfterMs: 5_000 };
    const a = await joinCluster({ ...options, name: 'a' });
    const b = await joinCluster({ ...options, name: 'b' });
    const hosts = [a, b];
    try {
      await knows(a, b.index);
      await knows(b, a.index);
      const trouble = troubleEvents(a, b);
      await server.kill9();
      await server.restart();
      // A beat from each host lands on the restarted server: the watch sees a new revision with its owner.
      const admin = await connect({ servers: server.url, noAsyncTraces: true });
      const kv = await new Kvm(admin).open('hosts');
      const seen = new Set<string>();
      const watch = await kv.watch({ key: 'host.>', include: 'updates_only' as never });
      for await (const entry of watch) {
        if (entry.operation === 'PUT') seen.add(entry.json<{ owner: string }>().owner);
        if (seen.has(a.record.owner) && seen.has(b.record.owner)) break;
      }
      await admin.close();
      // Both follow the bucket again: a host joining after the restart is learned by both.
      const c = await joinCluster({ ...options, name: 'c' });
      hosts.push(c);
      await knows(a, c.index);
      await knows(b, c.index);
      expect(new Set([a.index, b.index, c.index]).size).toBe(3);
      // And through all of it neither lost the other nor its own claim.
      expect(trouble()).toEqual([]);
      expect(a.peers().has(b.index) && b.peers().has(a.index)).toBe(true);
    } finally {
      await Promise.all(hosts.map((h) => h.abandon()));
    }
  });
});

/** Collects the events that would mean the outage was not survived: a peer lost or left, a claim lost. */
function troubleEvents(...hosts: ClusterHost[]): () => MembershipEvent[] {
  const events: MembershipEvent[] = [];
  for (const h of hosts) h.on((e) => (e.type === 'lost' || e.type === 'left' || e.type === 'claim-lost') && events.push(e));
  return () => events;
}
