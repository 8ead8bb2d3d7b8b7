// Regression: each `chain.within('name')` made a child realm that was never
// stopped: 300 chains left 300 realms behind (one per connection in a
// server). A realm made by `within(name)` now lives as long as the processes
// placed in it: when they have all finished, completely or not, it stops.
import { describe, expect, test } from 'vitest';
import { IO } from '../../index.js';
import { World } from '../../realm/index.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('within(name) leaves no realm behind', () => {
  test('300 chains run to completion: the realm count is back where it was', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const before = world.stats().realms;
    for (let i = 0; i < 300; i++) {
      const out = await io.from([i, i + 1]).within('job').map((x: number) => x * 2).collect().completion();
      expect(out).toEqual([2 * i, 2 * i + 2]);
    }
    await settle();
    expect(world.stats().realms).toBe(before);
  });

  test('an aborted run stops its realm too', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const before = world.stats().realms;
    const sink = io.from([1, 2, 3]).within('job').map((x: number) => {
      if (x === 2) throw new Error('boom');
      return x;
    }).collect();
    await expect(sink.completion()).rejects.toThrow('boom');
    await settle();
    expect(world.stats().realms).toBe(before);
  });

  test('while the chain runs, its processes live in the named realm', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const chain = io.from([1, 2]).within('job');
    const sink = chain.map((x: number) => x).collect();
    expect(sink.process.realm.name).toBe('job');
    expect(sink.process.realm.stopped).toBe(false);
    await sink.completion();
    await settle();
    expect(sink.process.realm.stopped).toBe(true);
  });

  test('a realm given by the caller is not stopped', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const mine = world.child({ name: 'mine' });
    await io.from([1]).within(mine).collect().completion();
    await settle();
    expect(mine.stopped).toBe(false);
  });
});
