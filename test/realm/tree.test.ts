import { describe, expect, test } from 'vitest';
import { Empty, RealmStoppedError, World } from '../../realm/index.js';

describe('realm tree', () => {
  test('a child realm has its creator as parent; a detached realm has the World', () => {
    const world = new World();
    const server = world.child({ name: 'server' });
    const worker = server.child({ name: 'worker' });
    const plugin = worker.detached({ name: 'plugin' });
    expect(worker.parent).toBe(server);
    expect(server.parent).toBe(world);
    expect(plugin.parent).toBe(world);
    expect(plugin.isDetached).toBe(true);
    expect(worker.isDetached).toBe(false);
    expect(world.parent).toBeNull();
    expect(plugin.world).toBe(world);
    expect(server.children).toEqual([worker]);
    expect(world.children).toEqual([server, plugin]);
  });

  test('labels are sequential per world, so two identical worlds label alike', () => {
    const labels = () => {
      const w = new World();
      const a = w.child({ name: 'a' });
      return [w.label, a.label, a.child().label, w.detached({ name: 'd' }).label];
    };
    expect(labels()).toEqual(['r0:world', 'r1:a', 'r2', 'r3:d']);
    expect(labels()).toEqual(labels());
  });

  test('stopping a realm stops its children but not the detached realms it created', () => {
    const world = new World();
    const a = world.child();
    const b = a.child();
    const c = b.child();
    const d = a.detached();
    a.stop();
    expect([a.stopped, b.stopped, c.stopped, d.stopped]).toEqual([true, true, true, false]);
    expect(world.children).toEqual([d]);
    expect(world.stats().realms).toBe(2);
  });

  test('a stopped realm refuses new work with an error naming it', () => {
    const world = new World();
    const a = world.child({ name: 'gone' });
    a.stop();
    expect(() => a.proclaim('x')).toThrow(RealmStoppedError);
    expect(() => a.post('x')).toThrow(/r1:gone is stopped: cannot post #x/);
    expect(() => a.signal('x')).toThrow(RealmStoppedError);
    expect(() => a.child()).toThrow(RealmStoppedError);
    expect(() => a.subscribe([], () => {})).toThrow(RealmStoppedError);
    expect(() => a.on('x', () => {})).toThrow(RealmStoppedError);
    a.stop(); // idempotent
  });
});

describe('realms as maps', () => {
  test('own fields shadow the parent; missing fields delegate to the parent chain', () => {
    const world = new World();
    world.set('retries', 3).set('log', 'info');
    const server = world.child();
    server.set('log', 'debug');
    const worker = server.child();
    expect(worker.get('retries')).toBe(3);
    expect(worker.get('log')).toBe('debug');
    expect(worker.has('log')).toBe(true);
    expect(worker.ownKeys()).toEqual([]);
    worker.set('log', 'trace');
    expect(worker.get('log')).toBe('trace');
    expect(server.get('log')).toBe('debug');
    // Changes to an ancestor are seen at once (delegation, not copying).
    world.set('retries', 5);
    expect(worker.get('retries')).toBe(5);
  });

  test('a missing field reads as Empty; setting Empty deletes an own field and uncovers the prototype', () => {
    const world = new World();
    const a = world.child();
    expect(a.get('nope')).toBe(Empty);
    expect(a.has('nope')).toBe(false);
    world.set('mode', 'safe');
    a.set('mode', 'fast');
    a.set('mode', Empty);
    expect(a.get('mode')).toBe('safe');
    expect(a.delete('mode')).toBe(false);
    a.set('u', undefined);
    expect(a.has('u')).toBe(true); // undefined is an ordinary value
  });

  test('a named prototype replaces the parent for lookups (realm, Map or plain record)', () => {
    const world = new World();
    world.set('from', 'world');
    const defaults = world.child({ name: 'defaults' });
    defaults.set('timeout', 10);
    const viaRealm = world.child({ prototype: defaults });
    const viaMap = world.child({ prototype: new Map([['timeout', 20]]) });
    const viaRecord = world.child({ prototype: { timeout: 30 } });
    const isolated = world.child({ prototype: null });
    expect(viaRealm.get('timeout')).toBe(10);
    expect(viaRealm.get('from')).toBe('world'); // through defaults to its parent
    expect(viaMap.get('timeout')).toBe(20);
    expect(viaMap.get('from')).toBe(Empty); // a Map ends the chain
    expect(viaRecord.get('timeout')).toBe(30);
    expect(viaRecord.get('toString')).toBe(Empty); // no inherited Object members
    expect(isolated.get('from')).toBe(Empty);
  });

  test('a detached realm delegates to the World, not to its creator', () => {
    const world = new World();
    world.set('level', 'world');
    const creator = world.child();
    creator.set('level', 'creator');
    expect(creator.detached().get('level')).toBe('world');
    expect(creator.child().get('level')).toBe('creator');
  });

  test('prototypes may be changed but never into a cycle', () => {
    const world = new World();
    const a = world.child();
    const b = world.child({ prototype: a });
    b.set('x', 1);
    expect(() => {
      a.prototype = b;
    }).toThrow(/cycle/);
    const c = world.child();
    c.prototype = b;
    expect(c.get('x')).toBe(1);
  });
});
