// Regression: when a handler threw and the World's onError hook threw too,
// the hook's error unwound through the code that answers the sender, which
// stayed pending for ever. The sender now resumes with Empty and the hook's
// error is rethrown by the run, once the tables are consistent.
import { describe, expect, test } from 'vitest';
import { Empty, World } from '../../realm/index.js';

describe('an onError hook that throws', () => {
  test('the sender of the failed handler still resumes, with Empty', async () => {
    const world = new World({
      onError: () => {
        throw new Error('logger broke');
      },
    });
    world.on('job', () => {
      throw new Error('handler broke');
    });
    const reply = world.child().signal('job');
    expect(() => world.run()).toThrow('logger broke');
    world.run();
    expect(await reply).toBe(Empty);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('with a post, the reply callback still runs', () => {
    const world = new World({
      onError: () => {
        throw new Error('logger broke');
      },
    });
    world.on('job', () => {
      throw new Error('handler broke');
    });
    const got: unknown[] = [];
    world.child().post('job', [], (v) => void got.push(v));
    expect(() => world.run()).toThrow('logger broke');
    world.run();
    expect(got).toEqual([Empty]);
  });
});
