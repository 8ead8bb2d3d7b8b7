import { describe, expect, it } from 'vitest';
import { chunk, define } from '../../engine/definition.js';
import { add, Flowable, intersect, union } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { admittance, flow } from '../../jit/negotiated.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';
import { each } from '../../processes/sinks/each.js';
import { from } from '../../processes/sources/from.js';
import { map } from '../../processes/elements/map.js';
import { take } from '../../processes/elements/take.js';

describe('negotiated IO', () => {
  it("the seed's cat -> each example: writing 3 into cat's >in admits 3, each sees them, 3 moved", () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      const seen: unknown[] = [];
      const c = new Process(io, cat);
      const e = new Process(io, each, { f: (x: unknown) => seen.push(x) });
      c.connect('out', e, 'in');
      const proposal = Flowable.write(['a', 'b', 'c']);
      const admitted = admittance(c, '>in', proposal);
      expect(admitted.n).toBe(3);
      expect(flow(c, '>in', admitted)).toBe(3);
      expect(seen).toEqual(['a', 'b', 'c']);
    }
  });

  it('an unconnected far end admits 0, for writes and reads', () => {
    const io = new IO();
    const c = new Process(io, cat);
    expect(admittance(c, '>in', Flowable.write([1, 2, 3])).n).toBe(0);
    expect(admittance(c, '<out', Flowable.read([], 3)).n).toBe(-0);
    expect(flow(c, '>in', Flowable.write([1, 2], 0, 0))).toBe(0);
    expect(() => flow(c, '>in', Flowable.write([1, 2]))).toThrow('cat#1 >in: flow of 2 exceeds the admittance of 0');
  });

  it('reads pull through pass-through processes', () => {
    const io = new IO();
    const s = new Process(io, from, { xs: [1, 2, 3, 4, 5] });
    const m = new Process(io, map, { f: (x: number) => x * 10 });
    const t = new Process(io, take, { limit: 4 });
    s.connect('out', m, 'in');
    m.connect('out', t, 'in');
    const dest: number[] = [];
    const first = admittance(t, '<out', Flowable.read(dest, 3));
    expect(first.n).toBe(-3);
    expect(flow(t, '<out', first)).toBe(-3);
    const second = admittance(t, '<out', Flowable.read(dest, 3, 3));
    expect(second.n).toBe(-1);
    flow(t, '<out', second);
    expect(dest).toEqual([10, 20, 30, 40]);
  });

  it('raises an error naming the process and port when a flow commits less than it admitted', () => {
    const io = new IO();
    const leaky = define('leaky', { ports: ['in'] })
      .admittance('>in', 'n')
      .flow('>in', chunk((_p, _xs, _offset, n) => n - 1));
    const c = new Process(io, cat);
    const l = new Process(io, leaky);
    c.connect('out', l, 'in');
    expect(() => flow(c, '>in', admittance(c, '>in', Flowable.write([1, 2, 3])))).toThrow('leaky#2 >in: committed 2 of 3 admitted');
  });

  it('refuses a flowable of the wrong direction', () => {
    const io = new IO();
    const c = new Process(io, cat);
    expect(() => admittance(c, '>in', Flowable.read([], 2))).toThrow('cat#1 >in: a write spec needs a flowable with n > 0, got -2');
  });

  it('moves partial admittances exactly, nothing lost or duplicated', () => {
    const io = new IO();
    const c = new Process(io, cat);
    const t = new Process(io, take, { limit: 5 });
    const k = new Process(io, collect);
    c.connect('out', t, 'in');
    t.connect('out', k, 'in');
    const xs = [1, 2, 3, 4, 5, 6, 7];
    const admitted = admittance(c, '>in', Flowable.write(xs));
    expect(admitted.n).toBe(5);
    flow(c, '>in', admitted);
    expect(k.state.items).toEqual([1, 2, 3, 4, 5]);
    expect(admittance(c, '>in', Flowable.write(xs, 5)).n).toBe(0);
    expect(k.state.done).toBe(true);
  });
});

describe('flowable algebra', () => {
  const xs = [1, 2, 3, 4, 5, 6];
  it('intersect takes the smaller magnitude, union the larger, add the sum', () => {
    const a = Flowable.write(xs, 0, 2);
    const b = Flowable.write(xs, 0, 5);
    expect(intersect(a, b).n).toBe(2);
    expect(union(a, b).n).toBe(5);
    expect(add(a, Flowable.write(xs, 0, 3)).n).toBe(5);
    expect(intersect(Flowable.read([], 4), Flowable.read([], 1)).n).toBe(-1);
    expect(add(Flowable.read([], 4), Flowable.read([], 1)).n).toBe(-5);
  });

  it('refuses to mix reads and writes, and overruns', () => {
    expect(() => intersect(Flowable.write(xs), Flowable.read([], 1))).toThrow(/cannot combine a write with a read/);
    expect(() => Flowable.write(xs, 4, 3)).toThrow(/overrun/);
    expect(() => Flowable.read(new Uint8Array(2), 3)).toThrow(/overrun/);
  });

  it('works over bytes', () => {
    const bytes = new Uint8Array([104, 105, 33]);
    const f = Flowable.write(bytes);
    expect(f.take(2).elements()).toEqual(new Uint8Array([104, 105]));
  });
});
