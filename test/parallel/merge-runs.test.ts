// The merge of parallel() hands each chunk's outputs on as one run: a collect
// right after it keeps the runs (typed when they crossed as numbers) and makes
// the array once; every other step still gets plain arrays of elements.
import { afterAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { define, chunk } from '../../engine/definition.js';
import { Process } from '../../engine/process.js';
import { collected, collectRuns } from '../../processes/sinks/collect-runs.js';
import { mulberry32 } from '../../engine/scheduler.js';

const io = new IO({ workers: 2 });
afterAll(() => io.close());

const int = (r: () => number, n: number): number => Math.floor(r() * n);

describe('the merge hands runs', () => {
  it('collect after parallel() ends in collectRuns and gives a plain array equal to one thread: int32 runs, float64 runs (-0, NaN, fractions) and values', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = mulberry32(seed);
      const xs = Array.from({ length: 500 + int(r, 3000) }, () => int(r, 4000) - 2000);
      const chunk = 1 + int(r, 400);
      const ints = await io.from(xs).parallel(2, { chunk }).map((x: number) => x * 7).collect().completion();
      expect(Array.isArray(ints)).toBe(true);
      expect(ints).toEqual(xs.map((x) => x * 7));
      // -0 and NaN must come back as they went: a float64 run, never an int32 one.
      const floats = await io.from(xs).parallel(2, { chunk }).map((x: number) => (x % 5 === 0 ? -0 : x % 7 === 0 ? NaN : x / 4)).collect().completion();
      const expected = xs.map((x) => (x % 5 === 0 ? -0 : x % 7 === 0 ? NaN : x / 4));
      expect(floats.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(Object.is(floats[i], expected[i]), `seed ${seed}, element ${i}`).toBe(true);
      const mixed = await io.from(xs).parallel(2, { chunk }).map((x: number): unknown => (x % 3 === 0 ? String(x) : x)).collect().completion();
      expect(mixed).toEqual(xs.map((x) => (x % 3 === 0 ? String(x) : x)));
    }
  });

  it('source chunks of numbers cross as typed runs and keep every number exact: int32, -0, NaN, beyond int32, fractions', async () => {
    const kinds = [(i: number) => i - 50, () => -0, () => NaN, (i: number) => 2 ** 40 + i, (i: number) => i / 8, (i: number) => (i % 2 ? 1 : 'one')];
    // Whole chunks of one kind each (a chunk of 64), and a partial chunk at the end.
    const xs: unknown[] = Array.from({ length: 64 * 24 + 17 }, (_, i) => kinds[Math.floor(i / 64) % kinds.length](i));
    const describe = (x: unknown): string => (Object.is(x, -0) ? '-0' : typeof x === 'number' ? `n${x}` : `s${String(x)}`);
    const many = await io.from(xs).parallel(2, { chunk: 64 }).map(describe).collect().completion();
    expect(many).toEqual(xs.map(describe));
  });

  it('the sink right after the merge is collectRuns; a step after the merge makes it an ordinary collect', () => {
    const direct = io.from([1, 2, 3]).parallel(2).map((x: number) => x + 1).collect();
    expect(direct.process.def).toBe(collectRuns);
    const after = io.from([1, 2, 3]).parallel(2).map((x: number) => x + 1).take(2).collect();
    expect(after.process.def.name).toBe('collect');
  });

  it('a step after the merge gets arrays of elements, not the typed runs numbers crossed in', async () => {
    const seen: string[] = [];
    // A chunk-level step that records what kind of chunk it is handed.
    const kinds = define('kinds', { ports: ['in', 'out'], inputs: ['in'] })
      .admittance('>in', 'n')
      .flow('>in', chunk((_p, xs, offset, n) => {
        seen.push(Array.isArray(xs) ? 'array' : Object.prototype.toString.call(xs));
        return n;
      }));
    const xs = Array.from({ length: 5000 }, (_, i) => i);
    const merged = io.from(xs).parallel(2, { chunk: 256 }).map((x: number) => x * 2);
    const sink = new Process(io, kinds);
    merged.tail.connect(merged.tailPort, sink, 'in');
    const { Run } = await import('../../engine/run.js');
    await Run.of(sink, () => undefined).start();
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['array']));
  });

  it('collectRuns keeps what it is given when the writer reuses its chunk, and joins runs of every kind in order', () => {
    const sink = new Process(io, collectRuns);
    const reused = [1, 2, 3];
    const flow = (xs: unknown, offset: number, n: number): void => {
      const f = sink.entry('>in', 'flow').ready();
      f(xs, offset, n);
    };
    flow(reused, 0, 3);
    reused[0] = 99;
    flow(Int32Array.of(4, 5, 6), 1, 2);
    flow(Float64Array.of(-0, 0.5), 0, 2);
    flow(['a', 'b'], 1, 1);
    const out = collected(sink as Parameters<typeof collected>[0]);
    expect(Array.isArray(out)).toBe(true);
    expect(out).toEqual([1, 2, 3, 5, 6, -0, 0.5, 'b']);
    expect(Object.is(out[5], -0)).toBe(true);
    // Asked again, the same array; more runs join it.
    expect(collected(sink as Parameters<typeof collected>[0])).toBe(out);
    flow([7], 0, 1);
    expect(collected(sink as Parameters<typeof collected>[0])).toEqual([1, 2, 3, 5, 6, -0, 0.5, 'b', 7]);
  });
});
