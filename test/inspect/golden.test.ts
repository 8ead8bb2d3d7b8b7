// Golden files for the pictures: a change in the topology data, the layout or
// the writers shows up as a reviewable diff in test/inspect/golden/. Chain ids
// (entry ids, which depend on test order) are numbered in order of appearance.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { renderGraph, type Graph } from '../../inspect/index.js';

/** The same graph with chain ids replaced by 1, 2, ... in order of appearance. */
function stable(graph: Graph): Graph {
  const ids = new Map(graph.chains.map((c, i) => [c.id, i + 1]));
  return {
    ...graph,
    processes: graph.processes.map((p) => (p.chain === undefined ? p : { ...p, chain: ids.get(p.chain)! })),
    chains: graph.chains.map((c) => ({ ...c, id: ids.get(c.id)! })),
  };
}

async function pictures(name: string, graph: Graph): Promise<void> {
  const g = stable(graph);
  await expect(await renderGraph(g, 'svg')).toMatchFileSnapshot(`golden/${name}.svg`);
  await expect(await renderGraph(g, 'dot')).toMatchFileSnapshot(`golden/${name}.dot`);
}

describe('pictures of a topology', { timeout: 60_000 }, () => {
  it('a straight chain is one fused group after its source', async () => {
    const sink = new IO().from([1, 2, 3]).grep((x: number) => x > 1).map((x: number) => x * 2).reduce((a: number, x: number) => a + x, 0);
    sink.run();
    const graph = sink.graph();
    expect(graph.processes.map((p) => p.label)).toEqual(['from#1', 'grep#2', 'map#3', 'reduce#4']);
    expect(graph.chains).toHaveLength(1);
    expect(graph.chains[0].label).toBe('grep → map → reduce');
    await pictures('grep_map_reduce', graph);
  });

  it('a buffer splits the flow into two fused chains', async () => {
    const sink = new IO().from([1, 2, 3]).map((x: number) => x + 1).buffer(8).map((x: number) => x * 2).collect();
    sink.run();
    const graph = sink.graph();
    expect(graph.chains.map((c) => c.label)).toEqual(['map → buffer', 'map → collect']);
    await pictures('map_buffer_map', graph);
  });

  it('a broadcast and a merge: range ports and two branches', async () => {
    const io = new IO();
    const [a, b] = io.from([1, 2, 3, 4]).tee();
    const sink = io.merge(a.map((x: number) => x * 2).buffer(4), b.grep((x: number) => x % 2 === 1).buffer(4)).collect();
    sink.run();
    const graph = sink.graph();
    expect(graph.connections).toHaveLength(8);
    await pictures('tee_merge', graph);
  });

  it('before anything ran there are no fused chains, only processes and connections', async () => {
    const io = new IO();
    io.from(['a']).map((s: string) => s.toUpperCase()).collect();
    const graph = io.graph();
    expect(graph.chains).toEqual([]);
    expect(graph.processes.map((p) => p.label)).toEqual(['from#1', 'map#2', 'collect#3']);
    await pictures('not_yet_run', graph);
  });
});
