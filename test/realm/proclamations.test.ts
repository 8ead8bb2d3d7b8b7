import { describe, expect, test } from 'vitest';
import { Empty, Rest, World, type Match, type Realm } from '../../realm/index.js';

/** Subscribe to `pattern` on `realm`, logging "+topic(args)" and "-topic(args)". */
function watch(realm: Realm, pattern: readonly unknown[], log: string[]) {
  const show = (m: Match) => `${m.topic}(${m.args.map((a) => JSON.stringify(a)).join(',')})`;
  return realm.subscribe(pattern, (m) => {
    log.push('+' + show(m));
    return () => log.push('-' + show(m));
  });
}

describe('proclamations', () => {
  test('a proclamation is pinned to its realm and visible to queries once committed', () => {
    const world = new World();
    const r = world.child();
    const h = r.proclaim('status', 'ready');
    expect(h.live).toBe(true);
    expect(r.count('status', 'ready')).toBe(1);
    expect(r.proclamations().map((m) => [m.topic, m.args, m.count])).toEqual([['status', ['ready'], 1]]);
    expect(world.count('status', 'ready')).toBe(0); // pinned to r, not inherited
  });

  test('equal proclamations are counted: one "added" for the first, one "removed" for the last', () => {
    const world = new World();
    const log: string[] = [];
    watch(world, ['$present'], log);
    // Structurally equal, built separately, keys in another order.
    const a = world.proclaim('present', { user: 'alice', room: 1 });
    const b = world.proclaim('present', { room: 1, user: 'alice' });
    const c = world.child().act(() => world.proclaim('present', { user: 'alice', room: 1 }));
    world.run();
    expect(world.count('present', { user: 'alice', room: 1 })).toBe(3);
    expect(log).toEqual(['+present({"user":"alice","room":1})']);
    a.retract();
    c.retract();
    world.run();
    expect(log).toHaveLength(1); // still asserted once
    b.retract();
    world.run();
    expect(log).toEqual(['+present({"user":"alice","room":1})', '-present({"user":"alice","room":1})']);
    expect(world.count('present', { user: 'alice', room: 1 })).toBe(0);
  });

  test('distinct values are distinct tuples (1 vs "1", nested arrays, -0 and 0 alike)', () => {
    const world = new World();
    world.proclaim('v', 1);
    world.proclaim('v', '1');
    world.proclaim('v', [1, [2]]);
    world.proclaim('v', [1, [2]]);
    world.proclaim('v', 0);
    world.proclaim('v', -0);
    expect(world.proclamations(['$v']).map((m) => m.count)).toEqual([1, 1, 2, 2]);
  });

  test('retracting a handle is idempotent', () => {
    const world = new World();
    const h = world.proclaim('x');
    world.proclaim('x');
    h.retract();
    h.retract();
    expect(world.count('x')).toBe(1);
    expect(h.live).toBe(false);
  });

  test('asserting Empty retracts the topic: the cleanup runs once and no entry is left', () => {
    const world = new World();
    const r = world.child();
    const cleanups: string[] = [];
    r.subscribe(['$config', 'mode', Rest], (m) => () => cleanups.push(String(m.args[1])));
    world.run();
    const before = world.stats();
    r.proclaim('config', 'mode', 'fast');
    r.proclaim('config', 'mode', 'fast');
    r.proclaim('config', 'mode', 'safe');
    world.run();
    expect(world.stats().subscriptionInstances).toBe(before.subscriptionInstances + 2);
    const h = r.proclaim('config', Empty);
    expect(h.live).toBe(false);
    world.run();
    r.proclaim('config', Empty); // again: nothing left to retract
    world.run();
    expect(cleanups).toEqual(['fast', 'safe']);
    expect(r.count('config', 'mode', 'fast')).toBe(0);
    expect(r.proclamations()).toEqual([]);
    expect(world.stats()).toEqual(before);
  });

  test('Empty may only be asserted alone', () => {
    const world = new World();
    expect(() => world.proclaim('x', 1, Empty)).toThrow(/Empty may only be asserted alone/);
  });

  test('stopping a realm retracts all it proclaimed, children first', () => {
    const world = new World();
    const log: string[] = [];
    watch(world, ['$up'], log);
    const parent = world.child({ name: 'parent' });
    const child = parent.child({ name: 'child' });
    const grandchild = child.child({ name: 'grandchild' });
    const sibling = parent.child({ name: 'sibling' });
    // Each realm proclaims into the World (owned by itself) and into itself.
    for (const r of [parent, child, grandchild, sibling]) {
      r.act(() => world.proclaim('up', r.name));
      r.proclaim('local', r.name);
    }
    world.proclaim('up', 'world');
    world.run();
    log.length = 0;
    const before = world.stats();
    parent.stop();
    world.run();
    expect(log).toEqual(['-up("grandchild")', '-up("child")', '-up("sibling")', '-up("parent")']);
    expect(world.count('up', 'world')).toBe(1);
    const after = world.stats();
    expect(after.realms).toBe(before.realms - 4);
    expect(after.proclamations).toBe(1);
    expect(after.proclamationHandles).toBe(1);
  });

  test('stopping the realm a proclamation is pinned to retracts it for its owner too', () => {
    const world = new World();
    const board = world.child({ name: 'board' });
    const writer = world.child({ name: 'writer' });
    const h = writer.act(() => board.proclaim('note', 'hi'));
    const log: string[] = [];
    watch(board, ['$note'], log);
    world.run();
    board.stop();
    world.run();
    expect(h.live).toBe(false);
    expect(log).toEqual(['+note("hi")', '-note("hi")']);
    expect(world.stats().proclamationHandles).toBe(0);
  });
});

