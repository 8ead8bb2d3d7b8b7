// Networked realm signals between two connections in one process: a handled
// signal gets its reply; an unhandled one, a late one, a failed handler and a
// request that does not decode all resume the sender with Empty.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Empty } from '../../realm/empty.js';
import { RemoteSignals } from '../../cluster/signals.js';
import { decodeRealmMessage } from '../../cluster/realm-messages.js';
import { encodeValues } from '../../transport/codec.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

describeNats('remote realm signals', () => {
  let server: PrivateServer;
  let handlerSide: NatsConnection;
  let senderSide: NatsConnection;
  const errors: Error[] = [];
  let handlers: RemoteSignals;
  let senders: RemoteSignals;

  beforeAll(async () => {
    server = await startServer();
    handlerSide = await connect({ servers: server.url, noAsyncTraces: true });
    senderSide = await connect({ servers: server.url, noAsyncTraces: true });
    handlers = new RemoteSignals(handlerSide, { onError: (e) => errors.push(e) });
    senders = new RemoteSignals(senderSide, { timeoutMs: 300 });
  });
  afterAll(async () => {
    await handlerSide?.close();
    await senderSide?.close();
    await server?.stop();
  });

  it('a signal handled on the other connection resumes its sender with the reply', async () => {
    const stop = handlers.handle('server', 'config', (key) => `value of ${String(key)}`);
    await handlerSide.flush(); // the subscription has reached the server
    expect(await senders.signal('server', 'config', 'port')).toBe('value of port');
    stop();
  });

  it('an asynchronous handler, structured values, null and undefined travel as themselves', async () => {
    const stop = handlers.handle('calc', 'sum', async (xs) => ({ total: (xs as number[]).reduce((a, b) => a + b, 0), none: null }));
    const stop2 = handlers.handle('calc', 'nothing', () => undefined);
    await handlerSide.flush();
    expect(await senders.signal('calc', 'sum', [1, 2, 3])).toEqual({ total: 6, none: null });
    expect(await senders.signal('calc', 'nothing')).toBeUndefined();
    stop();
    stop2();
  });

  it('values cross as through the value codec: Map, Set, Date, typed arrays, bigint, undefined, Empty arguments', async () => {
    const seen: unknown[][] = [];
    const stop = handlers.handle('calc', 'echo', (...args) => {
      seen.push(args);
      return { args, at: new Date(0), big: 2n ** 70n };
    });
    await handlerSide.flush();
    const args = [new Map([[1, new Set(['a'])]]), new Float64Array([1.5, -0]), -0, undefined, Empty, [1, , 3], /x+/g, null]; // eslint-disable-line no-sparse-arrays
    const reply = (await senders.signal('calc', 'echo', ...args)) as { args: unknown[]; at: Date; big: bigint };
    expect(seen[0]).toEqual(args);
    expect(seen[0]![4]).toBe(Empty);
    expect(Object.is(seen[0]![2], -0)).toBe(true);
    expect(1 in (seen[0]![5] as unknown[])).toBe(false);
    expect(reply).toEqual({ args, at: new Date(0), big: 2n ** 70n });
    expect(reply.args[4]).toBe(Empty);
    stop();
  });

  it('an Empty inside a value crosses in its place; the values sent are not changed', async () => {
    const stop = handlers.handle('calc', 'same', (x) => x);
    await handlerSide.flush();
    const inner = { maybe: Empty, list: [1, Empty, , 4] }; // eslint-disable-line no-sparse-arrays
    const value = { inner, byKey: new Map<unknown, unknown>([['k', Empty], ['l', [Empty]]]), shared: inner, plain: 'x' };
    const back = (await senders.signal('calc', 'same', value)) as typeof value;
    expect(back.inner.maybe).toBe(Empty);
    expect(back.inner.list[1]).toBe(Empty);
    expect(2 in back.inner.list).toBe(false);
    expect(back.byKey.get('k')).toBe(Empty);
    expect((back.byKey.get('l') as unknown[])[0]).toBe(Empty);
    expect(back.shared.maybe).toBe(Empty);
    expect(back.plain).toBe('x');
    // What was sent is as it was.
    expect(value.inner).toBe(inner);
    expect(inner.maybe).toBe(Empty);
    expect(value.byKey.get('k')).toBe(Empty);
    // An Empty as a Set entry cannot be put back in its place: refused, named.
    await expect(senders.signal('calc', 'same', new Set([Empty]))).rejects.toThrow('cannot carry a symbol (Symbol(pushback.realm.Empty)) at args[0]<Set entry 0>');
    stop();
  });

  it('what the codec refuses does not cross: the sender is told, a refused reply resumes it with Empty', async () => {
    errors.length = 0;
    class Point {
      x = 1;
    }
    await expect(senders.signal('calc', 'echo', { at: new Point() })).rejects.toThrow('cannot carry an instance of class Point at args[0].at');
    const stop = handlers.handle('calc', 'point', () => new Point());
    await handlerSide.flush();
    expect(await senders.signal('calc', 'point')).toBe(Empty);
    expect(errors.map((e) => e.message)).toEqual([
      'remote signal on pushback.signal.calc.point: reply does not encode: cannot carry an instance of class Point at reply to another thread: only plain objects, arrays, Map, Set, Date, RegExp, errors, typed arrays and primitives cross',
    ]);
    stop();
  });

  it('two concurrent signals on one topic each get their own answer', async () => {
    const stop = handlers.handle('calc', 'double', (x) => (x as number) * 2);
    await handlerSide.flush();
    const replies = await Promise.all([1, 2, 3, 4, 5].map((x) => senders.signal('calc', 'double', x)));
    expect(replies).toEqual([2, 4, 6, 8, 10]);
    stop();
  });

  it('an unhandled signal resumes with Empty', async () => {
    expect(await senders.signal('server', 'no-such-topic')).toBe(Empty);
  });

  it('a handler that replies Empty, or stops answering, resumes the sender with Empty', async () => {
    const stop = handlers.handle('server', 'nothing-here', () => Empty);
    await handlerSide.flush();
    expect(await senders.signal('server', 'nothing-here')).toBe(Empty);
    stop();
    await handlerSide.flush();
    expect(await senders.signal('server', 'nothing-here')).toBe(Empty);
  });

  it('a reply that does not come within the timeout resumes with Empty', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const stop = handlers.handle('server', 'slow', async () => {
      await held;
      return 'too late';
    });
    await handlerSide.flush();
    expect(await senders.signal('server', 'slow')).toBe(Empty);
    release();
    stop();
  });

  it('a failing handler resumes the sender with Empty and is reported on the handling side', async () => {
    errors.length = 0;
    const stop = handlers.handle('server', 'fails', () => {
      throw new Error('handler broke');
    });
    await handlerSide.flush();
    expect(await senders.signal('server', 'fails')).toBe(Empty);
    expect(errors.map((e) => e.message)).toEqual(['handler broke']);
    stop();
  });

  it('a request that does not decode is reported with its subject and answered with Empty, not a crash', async () => {
    errors.length = 0;
    let calls = 0;
    const stop = handlers.handle('server', 'strict', () => ++calls);
    await handlerSide.flush();
    const reply = await senderSide.request('pushback.signal.server.strict', new TextEncoder().encode('{not json'), { timeout: 1000 });
    expect(decodeRealmMessage(reply.data, ['empty', 'reply'])).toEqual({ kind: 'empty' });
    // Codec bytes of a message format this build does not read: refused by its tag, not misread.
    const later = await senderSide.request('pushback.signal.server.strict', encodeValues([2, { kind: 'request', args: [] }]), { timeout: 1000 });
    expect(decodeRealmMessage(later.data, ['empty', 'reply'])).toEqual({ kind: 'empty' });
    // The right format, but an Empty marked where there is no value.
    const astray = await senderSide.request('pushback.signal.server.strict', encodeValues([1, { kind: 'request', args: { values: [1], empty: [[0, 'x']] } }]), { timeout: 1000 });
    expect(decodeRealmMessage(astray.data, ['empty', 'reply'])).toEqual({ kind: 'empty' });
    expect(errors.map((e) => e.message)).toEqual([
      'remote signal on pushback.signal.server.strict: request does not decode: value encoding has format version 123; this build reads version 1',
      'remote signal on pushback.signal.server.strict: request does not decode: realm message has format 2; this build reads format 1',
      'remote signal on pushback.signal.server.strict: request does not decode: signal request marks Empty at no value ([0,"x"])',
    ]);
    expect(calls).toBe(0);
    // The handler still answers well-formed signals afterwards.
    expect(await senders.signal('server', 'strict')).toBe(1);
    stop();
  });

  it('names that are not plain subject tokens are refused where they enter, naming them', async () => {
    for (const bad of ['a.b', 'a b', '*', '>', '', 'x\u2028y']) {
      await expect(senders.signal('server', bad)).rejects.toThrow(`topic name ${JSON.stringify(bad)} must be`);
      expect(() => handlers.handle(bad, 'topic', () => 1)).toThrow(`realm name ${JSON.stringify(bad)} must be`);
    }
  });
});
