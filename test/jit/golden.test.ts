// Golden files for fused source: a change in what the compiler emits shows up as
// a reviewable diff in test/jit/golden/*.js. Chain ids are replaced by N so the
// files do not depend on test order.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { explain } from '../../jit/explain.js';
import type { Sink } from '../../api/chain.js';

function golden(sink: Sink<unknown>, kind: 'flow' | 'admittance' = 'flow'): string {
  sink.run();
  return explain(sink.source, 'out>', kind).replace(/chain_\d+_/g, 'chain_N_').replace(/chain\/\d+\//g, 'chain/N/').replace(/\(shape \d+\)/, '(shape N)');
}

describe('fused source', () => {

  it('filter -> map -> reduce nests into one loop', async () => {
    const sink = new IO().from([1, 2, 3]).grep((x: number) => x > 1).map((x: number) => x * 2).reduce((a: number, x: number) => a + x, 0);
    await expect(golden(sink)).toMatchFileSnapshot('golden/grep_map_reduce.js');
  });

  it('drop and take straight after the source become loop bounds', async () => {
    const sink = new IO().from([1, 2, 3, 4]).drop(1).take(2).collect();
    await expect(golden(sink)).toMatchFileSnapshot('golden/drop_take_collect.js');
  });

  it('admittance inlines take and the sink', async () => {
    const sink = new IO().from([1, 2, 3]).map((x: number) => x).take(2).collect();
    await expect(golden(sink, 'admittance')).toMatchFileSnapshot('golden/map_take_collect.admittance.js');
  });

  it('a buffer is a barrier the loop hands its elements to', async () => {
    const sink = new IO().from([1, 2, 3]).map((x: number) => x).buffer(8).collect();
    await expect(golden(sink)).toMatchFileSnapshot('golden/map_buffer.js');
  });
});
