// Regression: reduce(f, seed) and collect() ended in a Sink with run() and
// completion(), but count(), sum() and fold() returned a plain chain, so
// `io.file(f).lines().map(g).sum().completion()` was a TypeError and a newcomer
// had to know to add `.collect()`. The rule now: every reducer answers run(),
// completion() and value with its value; fold, count and sum emit it as well, so
// any step may still follow them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Chain, IO, Reduction, Sink } from '../../index.js';

const dir = mkdtempSync(join(tmpdir(), 'pushback-reducers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(path, text);
  return path;
}

describe('every reducer answers run(), completion() and value', () => {
  it('sum().completion() over a file gives the sum (it was a TypeError)', async () => {
    const io = new IO();
    const path = file('1\n2\n3\n4\n');
    expect(await io.file(path).lines().map((l) => Number(l) * 10).sum().completion()).toBe(100);
  });

  it('count(), fold() and sum() complete over files like reduce() and collect()', async () => {
    const io = new IO();
    const path = file('a\nbb\nccc\n');
    expect(await io.file(path).lines().count().completion()).toBe(3);
    expect(await io.file(path).lines().fold((n: number, l) => n + l.length, 0).completion()).toBe(6);
    expect(await io.file(path).lines().reduce((n: number, l) => n + l.length, 0).completion()).toBe(6);
    expect(await io.file(path).lines().collect().completion()).toEqual(['a', 'bb', 'ccc']);
  });

  it('run() and value give the same values over arrays, and done says when it is final', () => {
    const io = new IO();
    const xs = [3, 1, 4, 1, 5];
    const results = [
      io.from(xs).count(),
      io.from(xs).sum(),
      io.from(xs).fold((a: number, x) => Math.max(a, x), 0),
      io.from(xs).reduce((a: number, x) => a * x, 1),
      io.from(xs).collect(),
    ];
    expect(results.map((r) => r.done)).toEqual([false, false, false, false, false]);
    expect(results.map((r) => r.run())).toEqual([5, 14, 5, 60, xs]);
    expect(results.map((r) => r.value)).toEqual([5, 14, 5, 60, xs]);
    expect(results.map((r) => r.done)).toEqual([true, true, true, true, true]);
  });

  it('an empty input gives the seed (or 0) through every reducer', async () => {
    const io = new IO();
    expect(io.from([]).count().run()).toBe(0);
    expect(io.from([]).sum().run()).toBe(0);
    expect(await io.fromAsync([] as number[]).fold((a: number, x) => a + x, 7).completion()).toBe(7);
    expect(await io.fromAsync([] as number[]).reduce((a: number, x) => a + x, 7).completion()).toBe(7);
  });

  it('fold, count and sum are chains as well: a step may follow them, as before', async () => {
    const io = new IO();
    const counted = io.from(['x', 'y', 'z']).count();
    expect(counted).toBeInstanceOf(Reduction);
    expect(counted).toBeInstanceOf(Chain);
    const doubled = counted.map((n) => n * 2).collect();
    expect(doubled.run()).toEqual([6]);
    // The reducer still answers with its own value.
    expect(counted.value).toBe(3);
    expect(await io.fromAsync([1, 2, 3]).sum().map((s) => `total ${s}`).collect().completion()).toEqual(['total 6']);
  });

  it('reduce and collect end the chain: they are Sinks, not chains', () => {
    const io = new IO();
    expect(io.from([1]).reduce((a: number, x) => a + x, 0)).toBeInstanceOf(Sink);
    expect(io.from([1]).collect()).not.toBeInstanceOf(Chain);
  });

  it('a reducer whose input fails rejects its completion with the error', async () => {
    const io = new IO();
    const path = file('1\ntwo\n3\n');
    await expect(io.file(path).lines().sum().completion()).rejects.toThrow(/two/);
  });
});
