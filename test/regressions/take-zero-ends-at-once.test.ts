// Regression: take(0) admitted nothing and, since no flow ever reached it,
// never ended: run() threw "stopped admitting before the source was done" and
// completion() never settled (also from an async source). A limit of 0 ends
// the stream at once, in fused and interpreted mode, as RxJS's take(0) does.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import '../../processes/index.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump } from '../../processes/sources/from.js';
import { take } from '../../processes/elements/take.js';

async function* numbers(n: number): AsyncGenerator<number> {
  for (let i = 1; i <= n; i++) yield i;
}

for (const fuse of [true, false]) {
  describe(`take(0) ends at once (${fuse ? 'fused' : 'interpreted'})`, () => {
    it('run() returns an empty result', () => {
      const io = new IO({ fuse });
      expect(io.from([1, 2, 3]).take(0).collect().run()).toEqual([]);
      expect(io.from([1, 2, 3]).map((x: number) => x * 2).take(0).reduce((a: number, x: number) => a + x, 0).run()).toBe(0);
    });

    it('completion() settles with an empty result', async () => {
      const io = new IO({ fuse });
      await expect(io.from([1, 2, 3]).take(0).collect().completion()).resolves.toEqual([]);
      await expect(io.from([]).take(0).collect().completion()).resolves.toEqual([]);
    });

    it('from an async source, the source is not read to its end', async () => {
      const io = new IO({ fuse });
      let pulled = 0;
      const source = (async function* () {
        for (let i = 0; i < 1_000_000; i++) {
          pulled++;
          yield i;
        }
      })();
      await expect(io.fromAsync(source).take(0).collect().completion()).resolves.toEqual([]);
      await expect(io.fromAsync(numbers(3)).grep(() => true).take(0).collect().completion()).resolves.toEqual([]);
      expect(pulled).toBeLessThan(1_000_000);
    });

    it('for await sees no element', async () => {
      const io = new IO({ fuse });
      const seen: unknown[] = [];
      for await (const x of io.fromAsync(numbers(3)).take(0)) seen.push(x);
      expect(seen).toEqual([]);
    });

    it('a take(0) after a take(n), or before a step that emits when its input ends', async () => {
      const io = new IO({ fuse });
      expect(io.from([1, 2, 3]).take(2).take(0).collect().run()).toEqual([]);
      await expect(io.from([1, 2, 3]).take(0).count().collect().completion()).resolves.toEqual([0]);
      await expect(io.fromAsync([Buffer.from('a\nb\n')], { bytes: true }).lines().take(0).count().collect().completion()).resolves.toEqual([0]);
    });

    it('built by hand, whichever end is connected first, the source is not blocked but cancelled', () => {
      for (const inFirst of [true, false]) {
        const io = new IO({ fuse });
        const s = new Process(io, from, { xs: [1, 2, 3] });
        const t = new Process(io, take, { limit: 0 });
        const c = new Process(io, collect);
        if (inFirst) s.connect('out', t, 'in');
        t.connect('out', c, 'in');
        if (!inFirst) s.connect('out', t, 'in');
        expect(pump(s)).toBe('cancelled');
        expect(c.state.items).toEqual([]);
      }
    });
  });
}
