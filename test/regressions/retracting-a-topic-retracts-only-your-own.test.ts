// Regression: asserting Empty on a topic retracted every owner's
// proclamations on it, from any realm. In the Syndicated Actor Model you
// retract what you asserted: `proclaim(topic, Empty)` withdraws the actor's
// own assertions on that topic in that realm, and nobody else's.
import { describe, expect, test } from 'vitest';
import { Empty, World, _, take } from '../../realm/index.js';

describe('proclaim(topic, Empty) retracts only what the actor asserted', () => {
  test('another realm cannot retract my proclamation by asserting Empty', () => {
    const world = new World();
    const room = world.child({ name: 'room' });
    const alice = world.child({ name: 'alice' });
    const mallory = world.child({ name: 'mallory' });
    alice.act(() => room.proclaim('present', 'alice'));
    mallory.act(() => room.proclaim('present', 'mallory'));
    world.run();
    mallory.act(() => room.proclaim('present', Empty));
    world.run();
    expect(room.proclamations(['$present', _]).map((m) => m.args[0])).toEqual(['alice']);
  });

  test('equal assertions by two owners: one owner retracting leaves the other counted once', () => {
    const world = new World();
    const a = world.child();
    const b = world.child();
    const seen: string[] = [];
    world.subscribe(['$up', _], (m) => {
      seen.push(`added ${String(m.args[0])}`);
      return () => seen.push(`removed ${String(m.args[0])}`);
    });
    a.act(() => world.proclaim('up', 'x'));
    b.act(() => world.proclaim('up', 'x'));
    world.run();
    a.act(() => world.proclaim('up', Empty));
    world.run();
    expect(world.count('up', 'x')).toBe(1);
    expect(seen).toEqual(['added x']);
    b.act(() => world.proclaim('up', Empty));
    world.run();
    expect(world.count('up', 'x')).toBe(0);
    expect(seen).toEqual(['added x', 'removed x']);
  });

  test('through a vassal, the holder retracts only its own', () => {
    const world = new World();
    const app = world.child({ name: 'app' });
    app.proclaim('status', 'app is up');
    const plugin = world.child({ name: 'plugin' });
    const view = app.vassal([take('$status')]);
    plugin.act(() => view.proclaim('status', 'plugin is up'));
    plugin.act(() => view.proclaim('status', Empty));
    world.run();
    expect(app.proclamations(['$status', _]).map((m) => m.args[0])).toEqual(['app is up']);
  });
});
