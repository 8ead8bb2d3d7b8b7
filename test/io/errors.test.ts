// The error policy for exceptions in user code: the error names the process,
// the element's index and the cause; abort (the default for IO chains) stops
// the run with nothing lost or duplicated before the failing element; skip and
// retry are explicit. The tests count every element.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { UserCodeError } from '../../engine/policy.js';
import { SlowWriter } from './helpers.js';

function numbers(n: number): string {
  return Array.from({ length: n }, (_, i) => `${i}\n`).join('');
}

describe('abort (the default on IO sources)', () => {
  it('names the process, the index and the cause; delivers exactly the elements before it', async () => {
    const io = new IO();
    const seen: string[] = [];
    const run = io.fromAsync([Buffer.from(numbers(1000))], { bytes: true })
      .lines()
      .map((l: string) => {
        if (l === '500') throw new RangeError('five hundred');
        return l;
      })
      .each((x) => seen.push(x))
      .completion();
    const error = await run.then(() => undefined, (e: unknown) => e) as UserCodeError;
    expect(error).toBeInstanceOf(UserCodeError);
    expect(error.process).toMatch(/^map#\d+$/);
    expect(error.index).toBe(500);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/^map#\d+: user code threw at element 500: RangeError: five hundred$/);
    expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });

  it('writes out what came before the error, and only that', async () => {
    const io = new IO();
    const slow = new SlowWriter();
    const run = io.fromAsync([Buffer.from(numbers(300_000))], { bytes: true, chunkSize: 4096 })
      .lines()
      .grep((l: string) => {
        if (l === '123456') throw new Error('boom');
        return true;
      })
      .unlines()
      .write(slow)
      .completion();
    await expect(run).rejects.toThrow(/grep#\d+: user code threw at element 123456: Error: boom/);
    const text = slow.text();
    // Whole lines only, in order, none twice, none after the failing one.
    const got = text.split('\n').slice(0, -1);
    expect(got.length).toBeLessThanOrEqual(123456);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => String(i)));
  });

  it('a reducer emits nothing after an abort', async () => {
    const io = new IO();
    const seen: number[] = [];
    const run = io.fromAsync(['1', '2', 'x', '4'])
      .onError('abort')
      .map((s: string) => {
        if (s === 'x') throw new Error('not a number');
        return Number(s);
      })
      .sum()
      .each((x) => seen.push(x))
      .completion();
    await expect(run).rejects.toThrow(/element 2/);
    expect(seen).toEqual([]);
  });
});

describe('skip', () => {
  it('drops the failing elements of a map, reports them, and delivers every other one once', async () => {
    const io = new IO();
    const reports: UserCodeError[] = [];
    const out = await io.from(Array.from({ length: 100 }, (_, i) => i))
      .onError('skip', (e) => reports.push(e))
      .map((x: number) => {
        if (x % 10 === 3) throw new Error(`bad ${x}`);
        return x * 2;
      })
      .collect()
      .completion();
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((x) => x % 10 !== 3).map((x) => x * 2));
    expect(reports.map((e) => e.index)).toEqual([3, 13, 23, 33, 43, 53, 63, 73, 83, 93]);
    expect(reports[0].message).toMatch(/^map#\d+: user code threw at element 3: Error: bad 3/);
  });

  it('a failing predicate drops its element; a failing reducer step keeps the accumulator', async () => {
    const io = new IO();
    const kept = await io.from([1, 2, 3, 4]).onError('skip', () => undefined)
      .grep((x: number) => {
        if (x === 2) throw new Error('two');
        return true;
      })
      .collect().completion();
    expect(kept).toEqual([1, 3, 4]);
    const io2 = new IO();
    const total = await io2.from([1, 2, 3, 4]).onError('skip', () => undefined)
      .fold((a: number, x: number) => {
        if (x === 3) throw new Error('three');
        return a + x;
      }, 0)
      .collect().completion();
    expect(total).toEqual([7]);
  });
});

describe('retry', () => {
  it('calls again on the same element and delivers it once', async () => {
    const io = new IO();
    const calls = new Map<number, number>();
    const out = await io.from([1, 2, 3, 4, 5])
      .onError({ retry: 2 })
      .map((x: number) => {
        const k = (calls.get(x) ?? 0) + 1;
        calls.set(x, k);
        if (x === 3 && k < 3) throw new Error('flaky');
        return x;
      })
      .collect().completion();
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(calls.get(3)).toBe(3);
    expect([...calls.values()].reduce((a, b) => a + b, 0)).toBe(7);
  });

  it('gives up after the retries with the policy that follows', async () => {
    const io = new IO();
    const run = io.from([1, 2, 3]).onError({ retry: 1 }).map((x: number) => {
      if (x === 2) throw new Error('always');
      return x;
    }).collect().completion();
    await expect(run).rejects.toThrow(/element 1 \(after 2 attempts\): Error: always/);
    const io2 = new IO();
    const out = await io2.from([1, 2, 3]).onError({ retry: 1, then: 'skip' }, () => undefined).map((x: number) => {
      if (x === 2) throw new Error('always');
      return x;
    }).collect().completion();
    expect(out).toEqual([1, 3]);
  });

  it('refuses a malformed policy', () => {
    const io = new IO();
    expect(() => io.from([1]).onError('ignore' as never)).toThrow(/error policy/);
    expect(() => io.from([1]).onError({ retry: -1 })).toThrow(/error policy/);
  });
});

describe('in-memory chains are unguarded unless asked', () => {
  it('throws the user error itself from a synchronous run', () => {
    const io = new IO();
    expect(() => io.from([1, 2]).map(() => { throw new TypeError('raw'); }).collect().run()).toThrow(TypeError);
  });
});
