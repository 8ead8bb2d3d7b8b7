// Regression: io.from([1, 2, 3]).buffer(4).map(f) with f throwing on 2 rejected
// completion(), then the process died of an uncaught error: aborting the run
// ended the buffer's input, its end handler drained what it held into the same
// throwing map, outside any catch. The same happened when a buffer's deferred
// drain (after its output was writable again) met a throwing step. An aborted
// run rejects once with its first error and never throws again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import '../../processes/index.js';

let escaped: unknown[] = [];
const onEscape = (error: unknown): void => {
  escaped.push(error);
};

beforeEach(() => {
  escaped = [];
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});

afterEach(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

/** Lets every pending callback run (promise jobs and immediates only: no timers, no timing). */
async function quiet(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const throwOn = (bad: number) => (x: number) => {
  if (x === bad) throw new Error(`boom at ${x}`);
  return x;
};

for (const fuse of [true, false]) {
  describe(`an aborted run never throws again (${fuse ? 'fused' : 'interpreted'})`, () => {
    for (const bad of [1, 2, 3]) {
      it(`buffer then a map that throws on element ${bad}`, async () => {
        const io = new IO({ fuse });
        await expect(io.from([1, 2, 3]).buffer(4).map(throwOn(bad)).collect().completion()).rejects.toThrow(`boom at ${bad}`);
        await quiet();
        expect(escaped).toEqual([]);
      });
    }

    it('two buffers, a grep that throws, an async source', async () => {
      const io = new IO({ fuse });
      const chain = io.fromAsync([1, 2, 3, 4, 5]).buffer(2).buffer(3).grep((x: number) => throwOn(4)(x) > 0);
      await expect(chain.collect().completion()).rejects.toThrow('boom at 4');
      await quiet();
      expect(escaped).toEqual([]);
    });

    it('a buffer whose drain waits for a slow reader, then meets a throwing step', async () => {
      const io = new IO({ fuse });
      const seen: number[] = [];
      const chain = io.from(Array.from({ length: 50 }, (_, i) => i)).buffer(8).map(throwOn(20));
      await expect((async () => {
        for await (const x of chain) {
          seen.push(x as number);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })()).rejects.toThrow('boom at 20');
      await quiet();
      expect(escaped).toEqual([]);
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    });

    it('the buffers the engine inserts against over-commit take part in the run', async () => {
      const io = new IO({ fuse });
      const [a, b] = io.from(Array.from({ length: 10_000 }, (_, i) => i)).tee();
      const run = io.merge(a, b).map(throwOn(5000)).collect().completion();
      await expect(run).rejects.toThrow('boom at 5000');
      await quiet();
      expect(escaped).toEqual([]);
    });

    it('a reduce after the buffer rejects once', async () => {
      const io = new IO({ fuse });
      const run = io.from([1, 2, 3, 4]).buffer(4).map(throwOn(3)).reduce((a: number, x: number) => a + x, 0).completion();
      await expect(run).rejects.toThrow('boom at 3');
      await quiet();
      expect(escaped).toEqual([]);
    });
  });
}
