import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { CompileError } from '../../jit/compile.js';
import { since, snapshot } from '../../jit/stats.js';
import { buffer, buffered } from '../../processes/topology/buffer.js';
import { collect } from '../../processes/sinks/collect.js';
import { copy } from '../../processes/topology/copy.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { map } from '../../processes/elements/map.js';
import { union } from '../../processes/topology/union.js';
import { queued, zip } from '../../processes/topology/zip.js';

const range = (n: number, at = 0) => Array.from({ length: n }, (_, i) => at + i);

/** Reads everything a buffer holds, in chunks of up to `k`. */
function drainBuffer(b: Process, k: number): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    const admitted = b.admittance('<out', Flowable.read(out, k, out.length));
    if (admitted.size === 0) return out;
    b.flow('<out', admitted);
  }
}

describe('the over-commit trap: source -> copy -> two branches -> union -> one destination', () => {
  it('is refused in a strict container, with what to add, fused or not', () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse, strict: true });
      const [a, b] = io.from(range(10)).tee();
      const sink = io.merge(a.map((x: number) => x), b.map((x: number) => -x)).collect();
      expect(() => sink.run()).toThrow(CompileError);
      expect(() => sink.run()).toThrow(/copy#2: out\[0\] and out\[1\] both reach union#\d+ inside one fused flow.*Put a buffer on each branch/);
    }
  });

  it('is mended otherwise: a one-flow buffer on each branch, shown by explain', () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      const [a, b] = io.from(range(10)).tee();
      const sink = io.merge(a.map((x: number) => x), b.map((x: number) => -x - 1)).take(15).collect();
      expect(sink.explain()).toMatch(/inserted by the engine:\n\/\/ {3}buffer#\d+: one flow of slack after copy#2 out\[0\]/);
      expect(sink.explain()).toMatch(/buffer#\d+: one flow of slack after copy#2 out\[1\]/);
      const got = sink.run() as number[];
      expect(got).toHaveLength(15);
      expect(new Set(got).size).toBe(15);
    }
  });

  it('with a buffer on each branch, a destination that admits little gets every copy exactly once', async () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      const n = 500;
      const [a, b] = io.from(range(n)).tee();
      // The destination is a small buffer that a reader empties a little at a time.
      const dest = io.merge(a.buffer(7).map((x: number) => x), b.buffer(5).map((x: number) => -x - 1)).buffer(3).tail;
      const got: unknown[] = [];
      for (let round = 0; round < 10_000 && got.length < 2 * n; round++) {
        pumpOnce(a.source);
        got.push(...drainBuffer(dest, 2)); // reading says "writable again" upstream
        await settle();
      }
      const counts = new Map<unknown, number>();
      for (const x of got) counts.set(x, (counts.get(x) ?? 0) + 1);
      expect(got.length).toBe(2 * n);
      for (let i = 0; i < n; i++) {
        expect(counts.get(i)).toBe(1);
        expect(counts.get(-i - 1)).toBe(1);
      }
    }
  });
});

/** Lets the wake-ups a read caused run (promises only: no timers, no timing). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('broadcast', () => {
  it('a slow consumer holds the fast one back: no unbounded buffering, nothing lost', () => {
    const io = new IO();
    const s = new Process(io, from, { xs: range(1000) });
    const c = new Process(io, copy);
    const fast = new Process(io, collect);
    const slow = new Process(io, buffer, { capacity: 10 });
    s.connect('out', c, 'in');
    c.connect('out[0]', fast, 'in');
    c.connect('out[1]', slow, 'in');
    expect(pumpOnce(s)).toBe('moved');
    expect(pumpOnce(s)).toBe('blocked');
    expect(buffered(slow)).toBe(10);
    expect((fast.state.items as number[]).length).toBe(10);
    const seenSlow: unknown[] = [];
    while (pumpOnce(s) !== 'done') {
      seenSlow.push(...drainBuffer(slow, 4));
      expect(buffered(slow)).toBeLessThanOrEqual(10);
      expect((fast.state.items as number[]).length - seenSlow.length).toBeLessThanOrEqual(10);
    }
    seenSlow.push(...drainBuffer(slow, 4));
    expect(fast.state.items).toEqual(range(1000));
    expect(seenSlow).toEqual(range(1000));
  });

  it('adding a member recompiles only the entries that fan out over the range', () => {
    const io = new IO();
    const head = new Process(io, map, { f: (x: number) => x });
    const c = new Process(io, copy);
    head.connect('out', c, 'in');
    c.connect('out[0]', new Process(io, collect), 'in');
    const other = new Process(io, map, { f: (x: number) => x });
    other.connect('out', new Process(io, collect), 'in');
    for (const p of [head, other]) p.flow('>in', p.admittance('>in', Flowable.write([1])));
    const before = snapshot();
    c.connect('out[1]', new Process(io, collect), 'in');
    expect(since(before).invalidations).toBe(2); // head's admittance and flow entries
    expect(other.entry('>in', 'flow').stale).toBe(false);
  });
});

describe('merge', () => {
  it('1,000 sources: every item arrives exactly once, in order per source', () => {
    const io = new IO();
    const sources = range(1000).map((s) => io.from(range(1 + (s % 50), s * 1000)));
    const got = io.merge(...sources).collect().run() as number[];
    expect(got.length).toBe(sources.reduce((n, _, s) => n + 1 + (s % 50), 0));
    expect(new Set(got).size).toBe(got.length);
    const last = new Map<number, number>();
    for (const x of got) {
      const s = Math.floor(x / 1000);
      expect(x).toBeGreaterThan(last.get(s) ?? -1);
      last.set(s, x);
    }
    expect(last.size).toBe(1000);
  });

  it('is fair: large sources take turns instead of one draining first', () => {
    const io = new IO();
    const got = io.merge(io.from(range(20_000, 0)), io.from(range(20_000, 100_000))).collect().run() as number[];
    const firstOfB = got.findIndex((x) => x >= 100_000);
    const lastOfA = got.lastIndexOf(19_999);
    expect(firstOfB).toBeLessThan(lastOfA);
  });

  it('of untouched arrays is one source taking turns, in the order separate sources give', () => {
    const io = new IO();
    const arrays = [range(10_000, 0), range(5, 100_000), range(9_000, 200_000)];
    const rewritten = io.merge(...arrays.map((xs) => io.from(xs)));
    expect(rewritten.source.def.name).toBe('fromArrays');
    const separate = io.merge(...arrays.map((xs) => io.from(xs).cat()));
    expect(separate.tail.def.name).toBe('union');
    const a = rewritten.collect().run();
    const b = separate.collect().run();
    expect(a).toEqual(b);
    expect([...(a as number[])].sort((x, y) => x - y)).toEqual(arrays.flat());
  });

  it('a merged source read in chunks gives each element once, in order per array', () => {
    const io = new IO();
    const s = io.merge(io.from([1, 2, 3]), io.from([10, 20]), io.from([])).source;
    const got: unknown[] = [];
    for (let k = 1; ; k = (k % 3) + 1) {
      const admitted = s.admittance('<out', Flowable.read(got, k, got.length));
      if (admitted.size === 0) break;
      s.flow('<out', admitted);
    }
    // reads of 1, 2, 3: [1] from the first array; [10, 20] from the second; [2, 3] from the first
    expect(got).toEqual([1, 10, 20, 2, 3]);
    expect(s.isConnected('out')).toBe(false);
  });

  it('adding an input recompiles nothing already running', () => {
    const io = new IO();
    const u = new Process(io, union);
    u.connect('out', new Process(io, collect), 'in');
    const heads = range(20).map((i) => {
      const h = new Process(io, map, { f: (x: number) => x });
      h.connect('out', u, `in[${i}]`);
      h.flow('>in', h.admittance('>in', Flowable.write([i])));
      return h;
    });
    const before = snapshot();
    const late = new Process(io, map, { f: (x: number) => x });
    late.connect('out', u, 'in[20]');
    expect(since(before).invalidations).toBe(0);
    expect(heads.every((h) => !h.entry('>in', 'flow').stale)).toBe(true);
  });
});

describe('zip', () => {
  it('ends when the shorter input ends and stops the longer one', () => {
    const io = new IO();
    const long = io.from(range(10_000));
    const sink = io.zip(long, io.from(['a', 'b', 'c'])).collect();
    expect(sink.run()).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
    expect(sink.done).toBe(true);
    expect(long.source.isEnded('out')).toBe(true);
    expect(long.source.state.pos as number).toBeLessThan(10_000);
  });

  it('queues the faster side only up to its bound', () => {
    const io = new IO();
    const a = new Process(io, from, { xs: range(1000) });
    const b = new Process(io, from, { xs: range(1000, 5000) });
    const z = new Process(io, zip, { f: (x: number, y: number) => x + y, bound: 16 });
    const sink = new Process(io, collect);
    a.connect('out', z, 'left');
    b.connect('out', z, 'right');
    z.connect('out', sink, 'in');
    expect(pumpOnce(a)).toBe('moved');
    expect(queued(z, 'left')).toBe(16);
    expect(pumpOnce(a)).toBe('blocked');
    while (pumpOnce(b) === 'moved' || pumpOnce(a) === 'moved') {
      expect(queued(z, 'left')).toBeLessThanOrEqual(16);
      expect(queued(z, 'right')).toBeLessThanOrEqual(16);
    }
    expect(sink.state.items).toEqual(range(1000).map((i) => i + i + 5000));
  });
});

describe('flatMap', () => {
  it('an expansion larger than what downstream admits arrives complete and in order', async () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      const fm = io.from(range(20)).flatMap((x: number) => range(100, x * 1000));
      const flat = fm.tail;
      const dest = fm.buffer(7).tail;
      const got: unknown[] = [];
      for (let i = 0; i < 10_000 && got.length < 2000; i++) {
        pumpOnce(fm.source);
        expect((flat.state.residual as unknown[]).length).toBeLessThanOrEqual(100); // one expansion at most
        got.push(...drainBuffer(dest, 3));
        await settle();
      }
      expect(got).toEqual(range(20).flatMap((x) => range(100, x * 1000)));
      expect((flat.state.residual as unknown[]).length).toBe(0);
      expect(dest.isEnded('in')).toBe(true);
    }
  });

  it('concatMap is flatMap', () => {
    const io = new IO();
    expect(io.from([1, 2]).concatMap((x: number) => [x, x]).collect().run()).toEqual([1, 1, 2, 2]);
  });
});

describe('router', () => {
  it('sends each element to out[key(x)] and names a key with no output', () => {
    const io = new IO();
    const [small, big] = io.from([1, 50, 2, 99]).route((x: number) => (x < 10 ? 0 : 1), 2);
    const s = small.collect();
    const b = big.collect();
    s.run();
    expect(s.value).toEqual([1, 2]);
    expect(b.value).toEqual([50, 99]);
    const [only] = io.from([1, 2]).route((x: number) => x, 1);
    expect(() => only.collect().run()).toThrow(/route#\d+: key 1 names no connected output \(connected: out\[0\]\)/);
  });
});
