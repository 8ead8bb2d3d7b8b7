// onError('skip') and { retry, then } before parallel(): the workers apply the
// policy to the steps' functions themselves, so a failing element is dropped
// (or tried again) on the worker, and the output is the one-thread run's with
// the same policy; what was dropped is reported here, in source order, at the
// element's position in its step's input, as one thread reports it.
import { afterAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import type { UserCodeError } from '../../engine/policy.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { half, odd } from '../support/throwing-steps.js';

const io = new IO({ workers: 2 });
afterAll(() => io.close());

// Each throws for some elements; all are portable.
const pair = (x: number): number[] => {
  if (x % 7 === 0) throw new Error(`no pair for ${x}`);
  return [x, -x];
};

describe("onError('skip') on the workers", () => {
  it('drops each failing element on the worker: the output equals one thread with the same policy, on seeded random inputs', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = mulberry32(seed);
      const xs = Array.from({ length: 500 + Math.floor(r() * 4000) }, () => Math.floor(r() * 10_000));
      const chunk = 1 + Math.floor(r() * 200);
      const oneReports: string[] = [];
      const one = io.from(xs).onError('skip', (e) => void oneReports.push(e.message)).map(half).filter(odd).flatMap(pair).collect().run();
      const reports: UserCodeError[] = [];
      const parallel = io.from(xs).onError('skip', (e) => void reports.push(e)).parallel(2, { chunk });
      const many = await parallel.map(half).filter(odd).flatMap(pair).collect().completion();
      expect(many, `seed ${seed}, chunk ${chunk}`).toEqual(one);
      // As many elements dropped as on one thread, with the same causes in the same order.
      expect(reports.length, `seed ${seed}`).toBe(oneReports.length);
      expect(reports.map((e) => String((e.cause as Error).message))).toEqual(oneReports.map((m) => m.replace(/^.*: [A-Za-z]*Error: /, '')));
      expect(parallel.stats!.skipped).toBe(oneReports.length);
    }
  });

  it('reports name the step, its host and the chunk, and the element\'s position in the source', async () => {
    const reports: UserCodeError[] = [];
    const xs = Array.from({ length: 300 }, (_, i) => i + 1);
    const out = await io.from(xs).onError('skip', (e) => void reports.push(e)).parallel(2, { chunk: 100 }).map(half).collect().completion();
    expect(out).toEqual(xs.filter((x) => x % 13 !== 0).map((x) => Math.trunc(x / 2)));
    // 13 is element 12 of the source (in chunk 1); 104 is element 103 (element 3 of chunk 2).
    expect(reports[0].message).toMatch(/^map on host \d+ \(chunk 1\): user code threw at element 12: RangeError: no 13$/);
    expect(reports[7].message).toMatch(/^map on host \d+ \(chunk 2\): user code threw at element 103: RangeError: no 104$/);
    expect(reports.map((e) => e.index).slice(0, 8)).toEqual([12, 25, 38, 51, 64, 77, 90, 103]);
  });

  it('a fold with combine, and sum, keep their accumulator for a skipped element, as on one thread', async () => {
    const xs: unknown[] = Array.from({ length: 2000 }, (_, i) => (i % 17 === 0 ? `x${i}` : i));
    const quiet = (): void => undefined;
    const oneSum = io.from(xs).onError('skip', quiet).sum().run();
    const manySum = await io.from(xs).onError('skip', quiet).parallel(2, { chunk: 64 }).sum().completion();
    expect(manySum).toBe(oneSum);
    const add = (a: number, x: unknown): number => {
      if (typeof x !== 'number') throw new TypeError('not a number');
      return a + x * 2;
    };
    const oneFold = io.from(xs).onError('skip', quiet).fold(add, 0).run();
    const manyFold = await io.from(xs).onError('skip', quiet).parallel(2, { chunk: 64 }).fold(add, 0, { combine: (a, b) => a + b }).completion();
    expect(manyFold).toBe(oneFold);
  });
});

describe('{ retry } on the workers', () => {
  it('tries a failing call again on the worker: an element that fails once comes through, as on one thread', async () => {
    // Fails the first time it sees an element (a property on itself: its own name, so portable).
    const flaky = function flaky(x: number): number {
      const seen = ((flaky as unknown as { seen?: Set<number> }).seen ??= new Set());
      if (x % 5 === 0 && !seen.has(x)) {
        seen.add(x);
        throw new Error(`flaky at ${x}`);
      }
      return x * 10;
    };
    const xs = Array.from({ length: 3000 }, (_, i) => i);
    const many = await io.from(xs).onError({ retry: 1 }).parallel(2, { chunk: 50 }).map(flaky).collect().completion();
    expect(many).toEqual(xs.map((x) => x * 10));
  });

  it('then abort: the run fails naming the step, the host and the attempts', async () => {
    const never = (x: number): number => {
      if (x === 777) throw new Error('never 777');
      return x;
    };
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    const oneError = (() => {
      try {
        io.from(xs).onError({ retry: 2 }).map(never).collect().run();
      } catch (e) {
        return e as Error;
      }
    })();
    expect(oneError?.message).toMatch(/after 3 attempts\): Error: never 777$/);
    const error = await io.from(xs).onError({ retry: 2 }).parallel(2, { chunk: 100 }).map(never).collect().completion().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.name).toBe('StepError');
    expect(error?.message).toMatch(/^map on host \d+: user code threw at element 77 of its chunk \(after 3 attempts\): Error: never 777$/);
  });

  it('then skip: dropped after the retries, as on one thread', async () => {
    const xs = Array.from({ length: 1500 }, (_, i) => i);
    const quiet = (): void => undefined;
    const one = io.from(xs).onError({ retry: 3, then: 'skip' }, quiet).map(half).collect().run();
    const reports: UserCodeError[] = [];
    const many = await io.from(xs).onError({ retry: 3, then: 'skip' }, (e) => void reports.push(e)).parallel(2, { chunk: 100 }).map(half).collect().completion();
    expect(many).toEqual(one);
    expect(reports.length).toBe(xs.filter((x) => x % 13 === 0).length);
    expect(reports.every((e) => e.attempts === 4)).toBe(true);
  });
});
