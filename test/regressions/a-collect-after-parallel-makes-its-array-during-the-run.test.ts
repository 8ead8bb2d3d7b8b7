// collect after parallel() kept each chunk's outputs as a run and made the
// array of all of them once the last answer was in: for a million numbers
// 10-20 ms during which the workers, already finished, waited. When the most
// outputs that can come is known (an array that no step touched, through
// steps that make one output per input), the merge now says so, and the array
// is made at that length on the first run and filled as the runs come.
import { afterAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { Process } from '../../engine/process.js';
import { collected, collectRuns, expectAtMost } from '../../processes/sinks/collect-runs.js';

type Sink = Parameters<typeof collected>[0];

const io = new IO({ workers: 2 });
afterAll(() => io.close());

function sinkWith(most: number): { sink: Sink; flow: (xs: unknown, offset: number, n: number) => void } {
  const sink = new Process(io, collectRuns) as Sink;
  expectAtMost(sink, most);
  return { sink, flow: (xs, offset, n) => void sink.entry('>in', 'flow').ready()(xs, offset, n) };
}

describe('collectRuns told how many elements may come at most', () => {
  it('fills one array in place, copying each run (the writer may reuse it)', () => {
    const { sink, flow } = sinkWith(7);
    const reused = [1, 2, 3];
    flow(reused, 0, 3);
    reused[0] = 99;
    flow(Int32Array.of(4, 5, 6), 1, 2);
    flow(Float64Array.of(-0, 0.5), 0, 2);
    expect(sink.state.runs).toEqual([]);
    const out = collected(sink);
    expect(out).toEqual([1, 2, 3, 5, 6, -0, 0.5]);
    expect(Object.is(out[5], -0)).toBe(true);
    expect(collected(sink)).toBe(out);
  });

  it('fewer than said: the array is cut to what came, without holes', () => {
    const { sink, flow } = sinkWith(100);
    flow(Int32Array.of(1, 2, 3), 0, 3);
    const out = collected(sink);
    expect(out).toEqual([1, 2, 3]);
    expect(out.length).toBe(3);
    expect(Object.keys(out)).toEqual(['0', '1', '2']);
  });

  it('more than said: what was filled is kept, the rest comes after it in order', () => {
    const { sink, flow } = sinkWith(4);
    flow([1, 2, 3], 0, 3);
    flow(Int32Array.of(4, 5), 0, 2);
    flow(['six'], 0, 1);
    expect(collected(sink)).toEqual([1, 2, 3, 4, 5, 'six']);
  });

  it('asked for midway, then given more: the same elements as one collect', () => {
    const { sink, flow } = sinkWith(10);
    flow([1, 2], 0, 2);
    expect(collected(sink)).toEqual([1, 2]);
    flow([3, 4], 0, 2);
    expect(collected(sink)).toEqual([1, 2, 3, 4]);
  });
});

describe('parallel() over an array, collected', () => {
  it('says the array length to a collect after maps, and gives what one thread gives', async () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i - 5_000);
    const chain = io.from(xs).parallel(2, { chunk: 512 }).map((x: number) => x * 3).map((x: number) => (x % 7 === 0 ? -x / 2 : x));
    const result = chain.collect();
    const out = await result.completion();
    expect(out).toEqual(xs.map((x) => x * 3).map((x) => (x % 7 === 0 ? -x / 2 : x)));
    const state = (result.process as Sink).state;
    expect(state.room).toBe(xs.length);
    expect(state.runs).toEqual([]);
  });

  it('says nothing after a step that may make more outputs or fewer', async () => {
    const xs = Array.from({ length: 3_000 }, (_, i) => i);
    const grown = io.from(xs).parallel(2, { chunk: 256 }).flatMap((x: number) => [x, -x]).collect();
    expect(await grown.completion()).toEqual(xs.flatMap((x) => [x, -x]));
    expect((grown.process as Sink).state.room).toBe(0);
    const kept = io.from(xs).parallel(2, { chunk: 256 }).grep((x: number) => x % 3 === 0).collect();
    expect(await kept.completion()).toEqual(xs.filter((x) => x % 3 === 0));
    expect((kept.process as Sink).state.room).toBe(0);
  });

  it('a skipping policy that drops elements leaves an array cut to what came', async () => {
    const xs = Array.from({ length: 2_000 }, (_, i) => i);
    const reports: unknown[] = [];
    const out = await io.from(xs).onError('skip', (e) => reports.push(e)).parallel(2, { chunk: 128 })
      .map((x: number) => {
        if (x % 500 === 7) throw new Error(`no ${x}`);
        return x + 1;
      })
      .collect()
      .completion();
    expect(out).toEqual(xs.filter((x) => x % 500 !== 7).map((x) => x + 1));
    expect(reports.length).toBe(4);
  });
});
