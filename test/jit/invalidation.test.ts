import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { entryOf } from '../../jit/entries.js';
import { admittance, flow } from '../../jit/negotiated.js';
import { since, snapshot } from '../../jit/stats.js';
import { collect } from '../../processes/sinks/collect.js';
import { map } from '../../processes/elements/map.js';
import { grep } from '../../processes/elements/grep.js';
import { buffer } from '../../processes/topology/buffer.js';

function write(p: Process, xs: unknown[]): void {
  const admitted = admittance(p, '>in', Flowable.write(xs));
  expect(admitted.n).toBe(xs.length);
  flow(p, '>in', admitted);
}

/** map -> grep -> collect, written into map's >in. */
function chain(io: IO, tag: string) {
  const m = new Process(io, map, { f: (x: number) => `${tag}${x}` });
  const g = new Process(io, grep, { p: () => true });
  const sink = new Process(io, collect);
  m.connect('out', g, 'in');
  g.connect('out', sink, 'in');
  return { m, g, sink };
}

describe('invalidation is exact and lazy', () => {
  it('rewiring one of two independent chains recompiles only that one', () => {
    const io = new IO();
    const a = chain(io, 'a');
    const b = chain(io, 'b');
    write(a.m, [1]);
    write(b.m, [1]);
    const entryA = entryOf(a.m, '>in', 'flow');
    const entryB = entryOf(b.m, '>in', 'flow');
    expect(entryA.compiles).toBe(1);
    expect(entryB.compiles).toBe(1);

    const before = snapshot();
    const other = new Process(io, collect);
    a.g.disconnect('out');
    a.g.connect('out', other, 'in');
    // disconnect and connect both reached a's two entries (admittance and flow) once: the second
    // change finds them already stale and does not count again.
    expect(since(before).invalidations).toBe(2);
    expect(entryA.stale).toBe(true);
    expect(entryB.stale).toBe(false);

    write(a.m, [2]);
    write(b.m, [2]);
    expect(entryA.compiles).toBe(2);
    expect(entryB.compiles).toBe(1);
    expect(since(before).recompiles).toBe(2); // a's admittance and flow, nothing of b
    expect(other.state.items).toEqual(['a2']);
    expect(b.sink.state.items).toEqual(['b1', 'b2']);
  });

  it('rewiring a process in the middle invalidates the upstream entry that inlined it', () => {
    const io = new IO();
    const { m, g, sink } = chain(io, 'x');
    write(m, [1, 2]);
    expect(sink.state.items).toEqual(['x1', 'x2']);
    const entry = entryOf(m, '>in', 'flow');
    expect(entry.stale).toBe(false);

    // g is two hops downstream of the entry's start, inlined into it.
    const fresh = new Process(io, collect);
    g.disconnect('out');
    expect(entry.stale).toBe(true);
    g.connect('out', fresh, 'in');
    write(m, [3]);
    expect(fresh.state.items).toEqual(['x3']);
    expect(sink.state.items).toEqual(['x1', 'x2']);
  });

  it('a rewire made inside a flow is seen by the next flow, not the current one', () => {
    const io = new IO();
    const first = new Process(io, collect);
    const second = new Process(io, collect);
    let rewired = false;
    let g!: Process;
    const m = new Process(io, map, {
      f: (x: number) => {
        if (x === 2 && !rewired) {
          rewired = true;
          g.disconnect('out');
          g.connect('out', second, 'in');
        }
        return x;
      },
    });
    g = new Process(io, grep, { p: () => true });
    m.connect('out', g, 'in');
    g.connect('out', first, 'in');
    write(m, [1, 2, 3]);
    expect(first.state.items).toEqual([1, 2, 3]);
    expect(second.state.items).toEqual([]);
    write(m, [4]);
    expect(first.state.items).toEqual([1, 2, 3]);
    expect(second.state.items).toEqual([4]);
  });

  it('a buffer is an inlining barrier: a rewire behind it leaves the chain before it alone', () => {
    const io = new IO();
    const m = new Process(io, map, { f: (x: number) => x + 1 });
    const b = new Process(io, buffer, { capacity: 10 });
    const g = new Process(io, grep, { p: () => true });
    const sink = new Process(io, collect);
    m.connect('out', b, 'in');
    b.connect('out', g, 'in');
    g.connect('out', sink, 'in');
    write(m, [1, 2]);
    expect(sink.state.items).toEqual([2, 3]);
    const upstream = entryOf(m, '>in', 'flow');
    const downstream = entryOf(b, 'out>', 'flow');
    const other = new Process(io, collect);
    g.disconnect('out');
    g.connect('out', other, 'in');
    expect(upstream.stale).toBe(false);
    expect(downstream.stale).toBe(true);
    write(m, [3]);
    expect(other.state.items).toEqual([4]);
  });

  it('counts an invalidation once per entry however many changes reach it', () => {
    const io = new IO();
    const { m, g, sink } = chain(io, 'y');
    write(m, [1]);
    const before = snapshot();
    g.disconnect('out');
    g.connect('out', sink, 'in');
    g.disconnect('out');
    g.connect('out', sink, 'in');
    expect(since(before).invalidations).toBe(2);
    expect(since(before).compiles + since(before).cacheHits).toBe(0);
  });
});
