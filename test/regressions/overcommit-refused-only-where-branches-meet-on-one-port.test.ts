// Regression: every copy whose branches met again in one process was refused
// with "both reach ... over-commit", also `io.zip(a.map(f), b, g)` after a
// tee(), where zip's two inputs are different ports and each gets each element
// once. Only branches that meet on ONE port (through a merge) are the trap, and
// there the engine mends it itself: a one-flow buffer per branch, shown by
// explain(); a strict container refuses instead, saying which buffer to add.
// A zip after a tee must then stay honest: it queues no more than its output
// admits, so a take after it gets exactly what it asked for.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { CompileError } from '../../jit/compile.js';
import '../../processes/index.js';

const range = (n: number, at = 1) => Array.from({ length: n }, (_, i) => at + i);
const modes = [true, false].flatMap((fuse) => [false, true].map((strict) => ({ fuse, strict })));
const name = ({ fuse, strict }: { fuse: boolean; strict: boolean }) => `${fuse ? 'fused' : 'interpreted'}${strict ? ', strict' : ''}`;

function counts(xs: readonly unknown[]): Map<unknown, number> {
  const out = new Map<unknown, number>();
  for (const x of xs) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
}

describe('branches that meet on different ports are allowed, and stay honest', () => {
  for (const mode of modes) {
    it(`tee into zip's two ports (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b] = io.from([1, 2, 3]).tee();
      expect(io.zip(a.map((x: number) => x * 10), b, (p: number, q: number) => p + q).collect().run()).toEqual([11, 22, 33]);
    });

    it(`tee into zip, then a take (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b] = io.from(range(10_000)).tee();
      let paired = 0;
      const out = io.zip(a.map((x: number) => x * 10), b, (p: number, q: number) => {
        paired++;
        return p + q;
      }).take(2).collect().run();
      expect(out).toEqual([11, 22]);
      expect(paired).toBe(2);
    });

    it(`tee, a grep on one side, zip, take (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b] = io.from(range(100)).tee();
      const out = io.zip(a.grep((x: number) => x % 2 === 0), b, (p: number, q: number) => [p, q]).take(3).collect().run();
      expect(out).toEqual([[2, 1], [4, 2], [6, 3]]);
    });

    it(`tee into zip behind a small buffer (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b] = io.from(range(1000)).tee();
      const out = io.zip(a, b.map((x: number) => -x), (p: number, q: number) => p + q).buffer(3).collect().run() as number[];
      expect(out).toEqual(new Array(1000).fill(0));
    });
  }
});

describe('branches that meet on one port through a merge are the trap', () => {
  for (const mode of modes) {
    const refusal = /copy#\d+: out\[0\] and out\[1\] both reach union#\d+ inside one fused flow, so a write admitted once would be delivered there twice \(over-commit\)\. Put a buffer on each branch \(for example \.buffer\(n\) after each output of copy#\d+\) so that every branch has its own slack\./;

    it(`tee, merge, take(5) (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b] = io.from(range(10)).tee();
      const sink = io.merge(a, b).take(5).collect();
      if (mode.strict) {
        expect(() => sink.run()).toThrow(CompileError);
        expect(() => sink.run()).toThrow(refusal);
        return;
      }
      expect(sink.run()).toEqual([1, 2, 3, 4, 5]);
    });

    it(`tee, maps, merge into a small buffer read a little at a time (${name(mode)})`, async () => {
      const io = new IO(mode);
      const n = 300;
      const [a, b] = io.from(range(n)).tee();
      const chain = io.merge(a.map((x: number) => x), b.map((x: number) => -x)).buffer(3);
      if (mode.strict) {
        await expect((async () => {
          for await (const _ of chain) { /* refused before anything moves */ }
        })()).rejects.toThrow(refusal);
        return;
      }
      const got: number[] = [];
      for await (const x of chain) got.push(x as number);
      expect(got).toHaveLength(2 * n);
      const seen = counts(got);
      for (const x of range(n)) {
        expect(seen.get(x)).toBe(1);
        expect(seen.get(-x)).toBe(1);
      }
    });

    it(`a zip of two branches merged with a third branch (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b, c] = io.from(range(20)).copy(3);
      const sink = io.merge(io.zip(a, b, (p: number, q: number) => p + q), c.map((x: number) => -x)).take(10).collect();
      if (mode.strict) {
        expect(() => sink.run()).toThrow(/copy#\d+: out\[\d\] and out\[2\] both reach union#\d+ inside one fused flow/);
        return;
      }
      const got = sink.run() as number[];
      expect(got).toHaveLength(10);
      for (const [x, k] of counts(got)) expect([x, k]).toEqual([x, 1]);
    });

    it(`a buffer on the first branch only still leaves the second to mend (${name(mode)})`, () => {
      const io = new IO(mode);
      const [a, b] = io.from(range(10)).tee();
      const sink = io.merge(a.buffer(3), b).take(5).collect();
      if (mode.strict) {
        expect(() => sink.run()).toThrow(refusal);
        return;
      }
      const got = sink.run() as number[];
      expect(got).toHaveLength(5);
      for (const k of counts(got).values()) expect(k).toBeLessThanOrEqual(2);
    });
  }

  it('a buffer on every branch is no trap, even strict', () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse, strict: true });
      const [a, b] = io.from(range(10)).tee();
      expect(io.merge(a.buffer(4), b.buffer(4)).take(5).collect().run()).toHaveLength(5);
    }
  });

  it('explain shows the buffers the engine inserted', () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      const [a, b] = io.from(range(10)).tee();
      const text = io.merge(a, b).take(5).collect().explain();
      expect(text).toMatch(/\/\/ inserted by the engine:/);
      expect(text).toMatch(/buffer#\d+: one flow of slack after copy#\d+ out\[0\]: the branches of copy#\d+ meet again at union#\d+/);
      expect(text).toMatch(/buffer#\d+: one flow of slack after copy#\d+ out\[1\]/);
    }
  });
});
