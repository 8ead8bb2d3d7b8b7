// Regression: a supervisor that always answered 'retry' to an element that
// always fails kept the chain on it in a chain of microtasks: the event loop
// starved (no timer or I/O ran again) and the run never ended. Retries now
// yield to the event loop, and after the realm's retry budget the decision
// becomes 'abort' with an error that says so.
import { describe, expect, test } from 'vitest';
import { IO, UserCodeError } from '../../index.js';
import { RetryBudgetError } from '../../engine/policy.js';
import { World } from '../../realm/index.js';

describe("a supervisor that answers 'retry' for ever", () => {
  test('the event loop runs between retries, and the run fails at the budget', async () => {
    const world = new World();
    world.set('retryBudget', 40);
    const io = new IO({ realm: world });
    let asked = 0;
    world.on('error', () => {
      asked++;
      return 'retry';
    });
    const sink = io.from([1, 2, 3]).onError('realm').map((x: number) => {
      if (x === 2) throw new Error('always');
      return x;
    }).collect();
    const done = sink.completion();
    // Queued now, it runs at the event loop's next check phase: long before
    // the 40 retries are through, unless the retries starve the loop.
    const loopRan = new Promise<number>((resolve) => setImmediate(() => resolve(asked)));
    const error = await done.then(() => undefined, (e: unknown) => e);
    expect(await loopRan).toBeLessThan(40);
    expect(error).toBeInstanceOf(RetryBudgetError);
    expect(error).toBeInstanceOf(UserCodeError);
    expect((error as Error).message).toMatch(/^map#\d+: gave up on element 1 after 41 attempts: the realm answered 'retry' 40 times, its retry budget \(realm field 'retryBudget'\): Error: always$/);
    expect(asked).toBe(41);
    expect(sink.value).toEqual([1]);
  });

  test('without the field, the default budget applies', async () => {
    const io = new IO();
    io.realm.on('error', () => 'retry');
    const sink = io.from([1]).onError('realm').map(() => {
      throw new Error('always');
    }).collect();
    await expect(sink.completion()).rejects.toThrow(/the realm answered 'retry' 100 times/);
  });
});
