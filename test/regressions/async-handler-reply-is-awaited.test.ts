// Regression: a handler that returned a Promise had the Promise itself sent
// as the reply, a thenable likewise, and a handler that rejected left an
// unhandled rejection that took the Node process down. The reply is now what
// the promise (or thenable) resolves to; a rejection is a handler failure:
// reported to onError, and the sender resumes with Empty.
import { describe, expect, test } from 'vitest';
import { Empty, World, peek, type TurnFailure } from '../../realm/index.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("an asynchronous handler's result is the reply", () => {
  test('an async handler: the sender gets the resolved value', async () => {
    const world = new World();
    world.on('config', async (s) => {
      await tick();
      return `value of ${String(s.args[0])}`;
    });
    const got: unknown[] = [];
    world.child().post('config', ['port'], (v) => void got.push(v));
    world.run();
    await tick();
    await tick();
    world.run();
    expect(got).toEqual(['value of port']); // the value, not a Promise of it
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('a thenable that is not a Promise is awaited too', async () => {
    const world = new World();
    world.on('config', () => ({ then: (resolve: (v: unknown) => void) => resolve('from a thenable') }));
    const got: unknown[] = [];
    world.child().post('config', [], (v) => void got.push(v));
    world.run();
    await tick();
    world.run();
    expect(got).toEqual(['from a thenable']);
  });

  test('post: onReply gets the value once the world runs again', async () => {
    const world = new World();
    world.on('job', async () => 'done');
    const got: unknown[] = [];
    world.child().post('job', [], (v) => void got.push(v));
    world.run();
    await tick();
    world.run();
    expect(got).toEqual(['done']);
  });

  test('a rejection is a handler failure: onError hears it, the sender resumes with Empty', async () => {
    const failures: TurnFailure[] = [];
    const world = new World({ onError: (f) => void failures.push(f) });
    world.on('job', async () => {
      throw new Error('no disk');
    });
    const reply = world.child().signal('job');
    world.run();
    expect(await reply).toBe(Empty);
    expect(failures.map((f) => (f.error as Error).message)).toEqual(['no disk']);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('a rejection without an onError hook does not escape as an unhandled rejection: the next run reports it', async () => {
    const world = new World();
    world.on('job', () => Promise.reject(new Error('no disk')));
    const reply = world.child().signal('job');
    world.run();
    expect(await reply).toBe(Empty);
    expect(() => world.run()).toThrow('no disk');
    expect(world.stats().pendingSignals).toBe(0);
  });
});

describe('other user code that returns a rejecting promise is a failure too, never an unhandled rejection', () => {
  test('an async subscription body, an async cleanup, an async peek and an async reply callback', async () => {
    const failures: string[] = [];
    const world = new World({ onError: (f) => void failures.push(`${f.kind}: ${(f.error as Error).message}`) });
    const sub = world.subscribe(['$up'], async () => {
      throw new Error('body');
    });
    world.subscribe(['$down'], () => async () => {
      throw new Error('cleanup');
    });
    world.vassal([peek('#ask')]).on('ask', async () => {
      throw new Error('peek');
    });
    world.proclaim('up');
    const down = world.proclaim('down');
    world.run();
    down.retract();
    world.child().post('ask', [], async () => {
      throw new Error('reply callback');
    });
    world.run();
    await tick();
    world.run();
    expect(failures.sort()).toEqual(['added: body', 'cleanup: cleanup', 'peek: peek', 'resume: reply callback']);
    sub.cancel();
  });
});

describe('reply(promise) waits for the value too', () => {
  test('the sender gets what the promise resolves to; a rejection answers Empty and is reported', async () => {
    const failures: unknown[] = [];
    const world = new World({ onError: (f) => void failures.push((f.error as Error).message) });
    world.on('ok', (s) => s.reply(Promise.resolve('later')));
    world.on('bad', (s) => s.reply(Promise.reject(new Error('no'))));
    const got: unknown[] = [];
    world.child().post('ok', [], (v) => void got.push(v));
    world.child().post('bad', [], (v) => void got.push(v));
    world.run();
    await tick();
    world.run();
    expect(got).toEqual(['later', Empty]);
    expect(failures).toEqual(['no']);
  });
});

describe('an asynchronous supervisor in the engine', () => {
  test("an async #error handler's answer is the decision", async () => {
    const { IO } = await import('../../index.js');
    const io = new IO();
    io.realm.on('error', async () => {
      await tick();
      return 'skip';
    });
    const out = await io.from([1, 2, 3]).onError('realm').map((x: number) => {
      if (x === 2) throw new Error('bad');
      return x;
    }).collect().completion();
    expect(out).toEqual([1, 3]);
  });

  test('a rejecting #error handler fails the run (as no answer would), and the process lives on', async () => {
    const { IO } = await import('../../index.js');
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const io = new IO();
      io.realm.on('error', async () => {
        throw new Error('supervisor broke');
      });
      const sink = io.from([1, 2]).onError('realm').map((x: number) => {
        if (x === 2) throw new Error('bad');
        return x;
      }).collect();
      await expect(sink.completion()).rejects.toThrow(/map#\d+: user code threw at element 1: Error: bad/);
      for (let i = 0; i < 5 && warnings.length === 0; i++) await tick();
      expect(warnings).toContain('supervisor broke');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
