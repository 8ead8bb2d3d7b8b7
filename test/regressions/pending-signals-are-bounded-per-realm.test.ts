// Regression: signals had no flow control: 50,000 posts to a handler that
// never answers were all accepted and kept. Each realm now has a bound on
// the signals it has pending (sent, not yet answered), from the World's
// `maxPendingSignals` (default 10,000) or its own. Past it, `post` and
// `signal` throw a SignalOverflowError at once and nothing is sent; an
// answer frees a place.
import { describe, expect, test } from 'vitest';
import { DEFAULT_MAX_PENDING_SIGNALS, SignalOverflowError, World, type Signal } from '../../realm/index.js';

describe('a bound on pending signals per realm', () => {
  test('50,000 posts to a handler that never answers: the default bound holds', () => {
    const world = new World();
    world.on('job', () => undefined); // never answers
    const client = world.child({ name: 'client' });
    let accepted = 0;
    let refused: unknown;
    for (let i = 0; i < 50_000; i++) {
      try {
        client.post('job', [i]);
        accepted++;
      } catch (e) {
        refused = e;
        break;
      }
    }
    world.run();
    expect(accepted).toBe(DEFAULT_MAX_PENDING_SIGNALS);
    expect(refused).toBeInstanceOf(SignalOverflowError);
    expect((refused as Error).message).toBe(`realm ${client.label} has 10000 signals pending, its bound: #job is refused (await replies before sending more, or raise maxPendingSignals)`);
    expect(world.stats().pendingSignals).toBe(DEFAULT_MAX_PENDING_SIGNALS);
  });

  test('the bound is per realm, configurable, counts signals raised in an open turn, and an answer frees a place', async () => {
    const world = new World({ maxPendingSignals: 100 });
    const held: Signal[] = [];
    world.on('job', (s) => void held.push(s));
    const small = world.child({ name: 'small', maxPendingSignals: 3 });
    const other = world.child({ name: 'other' });
    const replies = [small.signal('job', 1), small.signal('job', 2)];
    expect(() => small.act(() => {
      small.post('job', [3]);
      small.post('job', [4]); // the fourth, though the third is not committed yet
    })).toThrow(SignalOverflowError);
    small.post('job', [3]);
    expect(() => small.signal('job', 4)).toThrow(SignalOverflowError);
    for (let i = 0; i < 50; i++) other.post('job', [i]); // another realm has its own bound
    world.run();
    held[0].reply('done');
    world.run();
    expect(await replies[0]).toBe('done');
    expect(() => small.post('job', [5])).not.toThrow();
    expect(world.stats().pendingSignals).toBe(3 + 50);
  });

  test('a bound must be a whole number of at least 1', () => {
    expect(() => new World({ maxPendingSignals: 0 })).toThrow(/maxPendingSignals must be a whole number of at least 1/);
    expect(() => new World().child({ maxPendingSignals: 1.5 })).toThrow(/maxPendingSignals/);
  });
});
