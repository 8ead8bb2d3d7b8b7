import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { since, snapshot } from '../../jit/stats.js';

describe('the shape cache', () => {
  it('compiles 1,000 identical pipelines once, each bound to its own state', () => {
    const io = new IO();
    const before = snapshot();
    const results: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const k = i;
      results.push(io.from([1, 2, 3, 4]).map((x: number) => x * k).grep((x: number) => x % 2 === 0).reduce((a: number, x: number) => a + x, 0).run());
    }
    const delta = since(before);
    // one admittance function and one flow function for the shape
    expect(delta.compiles).toBe(2);
    expect(delta.cacheHits).toBe(1998);
    results.forEach((r, k) => {
      const expected = [1, 2, 3, 4].map((x) => x * k).filter((x) => x % 2 === 0).reduce((a, x) => a + x, 0);
      expect(r).toBe(expected);
    });
  });

  it('compiles different shapes separately', () => {
    const io = new IO();
    const before = snapshot();
    io.from([1, 2]).map((x: number) => x).take(7).collect().run();
    io.from([1, 2]).map((x: number) => x).drop(1).collect().run();
    expect(since(before).compiles).toBe(4);
  });
});

describe('type specialisation of state fields', () => {
  it('a numeric accumulator that turns into a string re-specialises once and keeps its value', () => {
    const io = new IO();
    const xs = Array.from({ length: 10_000 }, (_, i) => i % 10);
    const f = (a: number | string, x: number) => (typeof a === 'number' && a > 40 ? `${a}:${x}` : typeof a === 'string' ? a + x : a + x);
    const before = snapshot();
    const got = io.from(xs).reduce(f, 0 as number | string).run();
    expect(got).toBe(xs.reduce(f, 0 as number | string));
    // the first chunk starts numeric and turns into a string; the second finds a string
    expect(since(before).retypes).toBe(1);
  });
});
