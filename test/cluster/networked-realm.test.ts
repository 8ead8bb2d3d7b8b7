// Networked realms across OS processes: the realm "shop" bound to the cluster
// on this test's process and on child hosts (test/cluster/realm-host.ts). A
// signal handled on another host, an unhandled one, the owner's rules enforced
// against a raw NATS request, proclamations seen on two other hosts and
// retracted by their owner only, a killed host's proclamations and pending
// signals, a message that does not decode, and the server lost mid-run. Every
// wait is on an event (a child's line, a subscription, a reply), bounded by
// the test's timeout; nothing asserts how long anything took.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { joinCluster, type ClusterHost } from '../../cluster/membership.js';
import { bindRealm, type NetworkedRealm } from '../../cluster/networked-realm.js';
import { Empty, Rest, World, _, type Realm } from '../../realm/index.js';
import { removeTranspiled, runChild, transpile, withImports, type Child } from './child.js';
import { describeNats, startServer, type PrivateServer } from './server.js';
import { decodeRealmMessage, encodeRealmMessage } from '../../cluster/realm-messages.js';
import { crossingValues } from './realm-values.js';

const HOST = 'test/cluster/realm-host.ts';
const LOST_AFTER_MS = 2_000;

/** A child's stdout as lines, with a wait for the first line (from now on or already seen) that passes a test. */
function linesOf(child: Child): { readonly lines: string[]; until(test: (line: string) => boolean): Promise<string> } {
  const lines: string[] = [];
  let partial = '';
  const waiting = new Set<() => void>();
  child.process.stdout!.on('data', (data: Buffer) => {
    const parts = (partial + data.toString('utf8')).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const check of [...waiting]) check();
  });
  return {
    lines,
    until(test) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(test);
          if (found !== undefined) {
            waiting.delete(check);
            resolve(found);
          }
        };
        waiting.add(check);
        check();
        child.process.once('exit', () => waiting.has(check) && reject(new Error(`child exited; it said:\n${lines.join('\n')}`)));
      });
    },
  };
}

/** Resolves when a proclamation matching `pattern` is in `realm` (present: true) or gone (false). */
function proclaimed(realm: Realm, pattern: unknown[], present: boolean): Promise<void> {
  return new Promise((resolve) => {
    let live = 0;
    const check = (): void => {
      if ((live > 0) === present) {
        handle.cancel();
        resolve();
      }
    };
    const handle = realm.subscribe(pattern, () => {
      live++;
      queueMicrotask(check);
      return () => {
        live--;
        queueMicrotask(check);
      };
    });
    realm.world.run();
    queueMicrotask(check);
  });
}

describeNats('networked realms across hosts', () => {
  let server: PrivateServer;
  let out: string;
  let admin: NatsConnection;
  let host: ClusterHost;
  let world: World;
  let shop: Realm;
  let bound: NetworkedRealm;
  const errors: Error[] = [];
  let errorSeen: () => void = () => undefined;
  /** Resolves once `count` errors were reported. */
  const reported = (count: number): Promise<void> =>
    new Promise((resolve) => {
      errorSeen = () => errors.length >= count && resolve();
      errorSeen();
    });
  let owner: Child;
  let ownerLines: ReturnType<typeof linesOf>;
  let ownerIndex: number;
  const observers: { child: Child; lines: ReturnType<typeof linesOf> }[] = [];
  const bucket = 'proclamations_test';

  function start(role: string): { child: Child; lines: ReturnType<typeof linesOf> } {
    const child = runChild(out, HOST, [server.url, 'hosts', String(LOST_AFTER_MS), bucket, role]);
    return { child, lines: linesOf(child) };
  }

  beforeAll(async () => {
    server = await startServer();
    out = transpile(withImports(HOST));
    admin = await connect({ servers: server.url, noAsyncTraces: true, maxReconnectAttempts: -1 });
    ({ child: owner, lines: ownerLines } = start('owner'));
    ownerIndex = Number((await ownerLines.until((l) => l.startsWith('ready '))).slice('ready '.length));
    // Both observers bind after the owner proclaimed: late subscribers.
    for (let i = 0; i < 2; i++) observers.push(start('observer'));
    await Promise.all(observers.map((o) => o.lines.until((l) => l.startsWith('ready '))));
    host = await joinCluster({ servers: server.url, bucket: 'hosts', lostAfterMs: LOST_AFTER_MS, name: 'test' });
    world = new World();
    shop = world.child({ name: 'shop' });
    bound = await bindRealm(shop, host, { bucket, timeoutMs: 60_000, onError: (e) => {
      errors.push(e);
      errorSeen();
    } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([owner, ...observers.map((o) => o.child)].filter((c) => c !== undefined).map((c) => c.kill9()));
    await bound?.unbind();
    await host?.leave();
    await admin?.close();
    await server?.stop();
    if (out !== undefined) removeTranspiled(out);
  });

  it('a signal handled on another host resumes its sender; an unhandled one resumes with Empty', async () => {
    // Bound after the owner proclaimed: bindRealm resolved with what was there shown.
    expect(shop.count('open', 'owner')).toBe(1);
    const worker = shop.child({ name: 'worker' });
    const price = worker.signal('price', 'tea');
    const nobody = worker.signal('no-such-topic');
    const outside = world.signal('price', 'tea'); // raised outside the bound realm: stays on this host
    world.run();
    expect(await price).toBe('price of tea');
    expect(await nobody).toBe(Empty);
    expect(await outside).toBe(Empty);
    // A handler on this host's part of the realm answers first, as locally.
    const local = shop.on('price', () => 'local price');
    const near = worker.signal('price', 'tea');
    world.run();
    expect(await near).toBe('local price');
    local.cancel();
    expect(world.stats().pendingSignals).toBe(0);
  });

  it("the owner's rules hold against a raw NATS request, not only against a binding", async () => {
    const refused = shop.signal('secret');
    world.run();
    expect(await refused).toBe(Empty);

    // Straight onto the subject, past any binding: the owner still applies its rules.
    const raw = async (topic: string): Promise<unknown[]> => {
      const inbox = createInbox();
      const replies: unknown[] = [];
      const sub = admin.subscribe(inbox, { max: 2 });
      admin.publish(`pushback.signal.shop.${topic}`, encodeRealmMessage({ kind: 'request', args: [] }, 'args'), { reply: inbox });
      for await (const msg of sub) replies.push(decodeRealmMessage(msg.data, ['accepted', 'reply', 'empty']));
      return replies;
    };
    expect(await raw('secret')).toEqual([{ kind: 'accepted', host: ownerIndex }, { kind: 'empty' }]);
    expect(await raw('price')).toEqual([{ kind: 'accepted', host: ownerIndex }, { kind: 'reply', value: 'price of undefined' }]);

    // Its ingress rule shows other hosts $open and nothing else it proclaims.
    await proclaimed(shop, ['$open', 'owner'], true);
    expect(shop.count('secret-plan', 1)).toBe(0);
    const kv = await new Kvm(admin).open(bucket);
    const stored: string[] = [];
    for await (const key of await kv.keys(`shop.${ownerIndex}.*`)) stored.push(decodeRealmMessage((await kv.get(key))!.value, ['proclamation']).topic);
    expect(stored.sort()).toEqual(['open', 'values']);
  });

  it('values cross between hosts as between threads: a signal, its reply and a proclamation', async () => {
    const table = crossingValues();
    const worker = shop.child({ name: 'values' });
    const echoed = worker.signal('echo', ...table);
    world.run();
    const reply = (await echoed) as unknown[];
    expect(reply).toEqual(table);
    const kinds = (xs: unknown[]): string[] => xs.map((x) => (x === null ? 'null' : typeof x === 'object' ? (x as object).constructor.name : typeof x));
    expect(kinds(reply)).toEqual(kinds(table));
    expect(Object.is(reply[10], -0)).toBe(true);
    expect(1 in (reply[12] as unknown[])).toBe(false);
    expect('nothing' in (reply[15] as object)).toBe(true);

    // The owner proclaimed the same values before this host bound: shown here as they were.
    const shown: unknown[][] = [];
    const seen = shop.subscribe(['$values', Rest], (m) => void shown.push([...m.args]));
    world.run();
    seen.cancel();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toEqual(table);
    expect(Object.is(shown[0]![10], -0)).toBe(true);
    expect((shown[0]![0] as Map<unknown, unknown>).get(2)).toEqual({ b: [1n] });
  });

  it('a proclamation reaches subscribers on two other hosts and is retracted by its owner only', async () => {
    // Seen by both observers although they bound after it was made.
    for (const o of observers) await o.lines.until((l) => l === 'added open "owner"');
    await proclaimed(shop, ['$open', 'owner'], true);

    // This host did not assert it: retracting the topic here withdraws nothing.
    shop.proclaim('open', Empty);
    world.run();
    expect(shop.count('open', 'owner')).toBe(1);

    // The owner retracts it: gone everywhere.
    const closed = shop.signal('close');
    world.run();
    expect(await closed).toBe('closed');
    for (const o of observers) await o.lines.until((l) => l === 'removed open "owner"');
    await proclaimed(shop, ['$open', 'owner'], false);

    // And what this host proclaims reaches the others, until it retracts it.
    const notice = shop.proclaim('notice', 'from the test', { n: 1 });
    world.run();
    for (const o of observers) await o.lines.until((l) => l === 'added notice "from the test" {"n":1}');
    notice.retract();
    world.run();
    for (const o of observers) await o.lines.until((l) => l === 'removed notice "from the test" {"n":1}');
    for (const o of observers) expect(o.lines.lines.filter((l) => l.startsWith('error'))).toEqual([]);

    const reopened = shop.signal('reopen');
    world.run();
    expect(await reopened).toBe('reopened');
    await proclaimed(shop, ['$open', 'owner'], true);
  });

  it('a message that does not decode is reported with its subject, not a crash', async () => {
    errors.length = 0;
    const kv = await new Kvm(admin).open(bucket);
    await kv.put('shop.77.1', new TextEncoder().encode('{not the codec'));
    const ping = shop.on('ping', () => 'pong');
    await bound.flush();
    const reply = await admin.request('pushback.signal.shop.ping', new TextEncoder().encode('{not the codec'), { timeout: 10_000 });
    expect(decodeRealmMessage(reply.data, ['accepted'])).toEqual({ kind: 'accepted', host: host.index });
    await reported(2);
    expect(errors.map((e) => e.message).sort()).toEqual([
      `proclamation on $KV.${bucket}.shop.77.1 (revision ${(await kv.get('shop.77.1'))!.revision}) does not decode: value encoding has format version 123; this build reads version 1; ignored`,
      'remote signal on pushback.signal.shop.ping: request does not decode: value encoding has format version 123; this build reads version 1',
    ]);
    await kv.delete('shop.77.1');
    // Both sides go on.
    const worker = shop.child();
    const price = worker.signal('price', 'milk');
    world.run();
    expect(await price).toBe('price of milk');
    ping.cancel();
  });

  it("a host killed with -9: its proclamations are retracted everywhere and its pending signals resume with Empty", async () => {
    await proclaimed(shop, ['$open', 'owner'], true);
    const held = shop.signal('hold', 1);
    world.run();
    await ownerLines.until((l) => l === 'holding 1');
    const gone = proclaimed(shop, ['$open', _], false);
    await owner.kill9();
    // Waits on the events themselves; the test's own timeout is the generous cap.
    expect(await held).toBe(Empty);
    await gone;
    for (const o of observers) await o.lines.until((l) => l === 'removed open "owner"' && o.lines.lines.filter((x) => x === l).length === 2);
    expect(shop.proclamations(['$open', Rest])).toEqual([]);
    expect(bound.signals.pendingCount).toBe(0);
  }, 60_000);
});

describeNats('networked realms when the server is lost', () => {
  let server: PrivateServer;
  let out: string;
  const bucket = 'proclamations_outage';

  beforeAll(async () => {
    server = await startServer();
    out = transpile(withImports(HOST));
  });
  afterAll(async () => {
    await server?.stop();
    if (out !== undefined) removeTranspiled(out);
  });

  it('the realm reports the outage; what was proclaimed and retracted meanwhile reaches the other hosts once the server is back', async () => {
    const observer = runChild(out, HOST, [server.url, 'hosts', String(LOST_AFTER_MS), bucket, 'observer']);
    const seen = linesOf(observer);
    const host = await joinCluster({ servers: server.url, bucket: 'hosts', lostAfterMs: LOST_AFTER_MS, name: 'test' });
    const errors: string[] = [];
    const world = new World();
    const shop = world.child({ name: 'shop' });
    const bound = await bindRealm(shop, host, { bucket, onError: (e) => errors.push(e.message) });
    try {
      await seen.until((l) => l.startsWith('ready '));
      const before = shop.proclaim('before', 1);
      world.run();
      await seen.until((l) => l === 'added before 1');
      await proclaimed(shop, ['$cluster', 'connected'], true);

      await server.kill9();
      await proclaimed(shop, ['$cluster', 'disconnected'], true);
      expect(bound.status).toBe('disconnected');
      shop.proclaim('during', 'outage');
      before.retract();
      world.run();

      await server.restart();
      await proclaimed(shop, ['$cluster', 'connected'], true);
      await seen.until((l) => l === 'added during "outage"');
      await seen.until((l) => l === 'removed before 1');
      await bound.flush();
      expect(seen.lines).toEqual([expect.stringMatching(/^ready /), 'added before 1', 'removed before 1', 'added during "outage"']);
    } finally {
      await observer.kill9();
      await bound.unbind();
      await host.leave();
    }
  }, 60_000);

  it("a host whose index was taken by another stops carrying the realm and leaves the new holder's keys alone", async () => {
    const host = await joinCluster({ servers: server.url, bucket: 'hosts', lostAfterMs: LOST_AFTER_MS, name: 'test' });
    const errors: string[] = [];
    let told!: () => void;
    const detached = new Promise<void>((resolve) => (told = resolve));
    const world = new World();
    const shop = world.child({ name: 'shop' });
    shop.on('price', () => 'mine');
    shop.proclaim('stock', 3);
    world.run();
    const bound = await bindRealm(shop, host, {
      bucket,
      onError: (e) => {
        errors.push(e.message);
        if (e.message.includes('no longer bound')) told();
      },
    });
    const admin = await connect({ servers: server.url, noAsyncTraces: true });
    try {
      await bound.flush();
      const kv = await new Kvm(admin).open('hosts');
      await kv.put(`host.${host.index}`, JSON.stringify({ ...host.record, name: 'intruder', owner: 'someone-else' }));
      await detached;
      expect(errors).toEqual([`networked realm shop: host index ${host.index} was taken by another host; the realm is no longer bound`]);
      // No longer served from here: nobody answers.
      const reply = await admin.request('pushback.signal.shop.price', new TextEncoder().encode('[]'), { timeout: 10_000, noMux: true }).then(
        () => 'answered',
        () => 'no responders',
      );
      expect(reply).toBe('no responders');
      // Its key, which the new holder of the index may own now, is left as it was.
      const proclamations = await new Kvm(admin).open(bucket);
      const keys: string[] = [];
      for await (const key of await proclamations.keys(`shop.${host.index}.*`)) keys.push(key);
      expect(keys.length).toBe(1);
    } finally {
      await admin.close();
      await host.abandon();
    }
  }, 60_000);

  it('what cannot cross (a topic that is no subject token, values the codec refuses) is reported and stays on the host', async () => {
    const host = await joinCluster({ servers: server.url, bucket: 'hosts', lostAfterMs: LOST_AFTER_MS, name: 'test' });
    const errors: string[] = [];
    const world = new World();
    const shop = world.child({ name: 'shop' });
    const bound = await bindRealm(shop, host, { bucket, onError: (e) => errors.push(e.message) });
    try {
      const dotted = shop.signal('a.b');
      class Basket {
        items = 1;
      }
      const basket = new Basket();
      const classy = shop.signal('price', { basket });
      shop.proclaim('size', 2, basket);
      world.run();
      expect(await dotted).toBe(Empty);
      expect(await classy).toBe(Empty);
      expect(shop.count('size', 2, basket)).toBe(1); // still proclaimed here
      const refusal = 'to another thread: only plain objects, arrays, Map, Set, Date, RegExp, errors, typed arrays and primitives cross';
      expect(errors).toEqual([
        `networked realm shop: $size stays on this host: its arguments do not encode (cannot carry an instance of class Basket at $size[1] ${refusal})`,
        'networked realm shop: #a.b cannot cross to other hosts: remote signal: topic name "a.b" must be 1..128 of A-Z a-z 0-9 _ -',
        `networked realm shop: #price cannot cross to other hosts: cannot carry an instance of class Basket at args[0].basket ${refusal}`,
      ]);
      expect(world.stats().pendingSignals).toBe(0);
    } finally {
      await bound.unbind();
      await host.leave();
    }
  }, 60_000);
});
