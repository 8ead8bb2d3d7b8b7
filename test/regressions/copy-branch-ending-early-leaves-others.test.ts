// Regression: when one branch of a tee()/copy ended early (a.take(2)), the copy
// ended everything else too, so the other branch got [1, 2] of [1..5] and a
// clean end (a route's branches the same). A branch that ends stops receiving and holds nobody back; the
// others go on; the source stops only once every branch has ended.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import '../../processes/index.js';

const range = (n: number, at = 1) => Array.from({ length: n }, (_, i) => at + i);

for (const fuse of [true, false]) {
  describe(`a copy branch that ends early (${fuse ? 'fused' : 'interpreted'})`, () => {
    it('the other branch still sees everything (run)', () => {
      const io = new IO({ fuse });
      const [a, b] = io.from(range(5)).tee();
      const early = a.take(2).collect();
      const rest = b.collect();
      expect(early.run()).toEqual([1, 2]);
      expect(rest.value).toEqual(range(5));
      expect(rest.done).toBe(true);
    });

    it('the other branch still sees everything, whichever branch comes first (completion of both)', async () => {
      for (const first of [0, 1]) {
        const io = new IO({ fuse });
        const branches = io.from(range(5)).tee();
        const early = branches[first].take(2).collect();
        const rest = branches[1 - first].map((x: number) => x * 10).collect();
        await expect(Promise.all([early.completion(), rest.completion()])).resolves.toEqual([[1, 2], range(5).map((x) => x * 10)]);
      }
    });

    it('an ended branch stops receiving', () => {
      const io = new IO({ fuse });
      const [a, b] = io.from(range(10_000)).tee();
      let calls = 0;
      const early = a.map((x: number) => {
        calls++;
        return x;
      }).take(3).collect();
      const rest = b.collect();
      early.run();
      expect(early.value).toEqual([1, 2, 3]);
      expect(calls).toBe(3);
      expect(rest.value).toEqual(range(10_000));
    });

    it('three branches ending at different times', () => {
      const io = new IO({ fuse });
      const [a, b, c] = io.from(range(100)).copy(3);
      const one = a.take(1).collect();
      const zero = b.take(0).collect();
      const all = c.grep((x: number) => x % 10 === 0).collect();
      expect(one.run()).toEqual([1]);
      expect(zero.value).toEqual([]);
      expect(all.value).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    });

    it('the source stops once every branch has ended', async () => {
      const io = new IO({ fuse });
      const [a, b] = io.from(range(1_000_000)).tee();
      const x = a.take(2).collect();
      const y = b.take(5).collect();
      expect(x.run()).toEqual([1, 2]);
      expect(y.value).toEqual(range(5));
      expect(a.source.state.pos as number).toBeLessThan(1_000_000);

      let pulled = 0;
      const io2 = new IO({ fuse });
      const [c, d] = io2.fromAsync((function* () {
        for (let i = 1; i <= 1_000_000; i++) {
          pulled++;
          yield i;
        }
      })()).tee();
      const results = await Promise.all([c.take(2).collect().completion(), d.take(3).collect().completion()]);
      expect(results).toEqual([[1, 2], [1, 2, 3]]);
      expect(pulled).toBeLessThan(1_000_000);
    });

    it('a route branch that ends early leaves the others too', () => {
      const io = new IO({ fuse });
      const [evens, odds] = io.from(range(10)).route((x: number) => x % 2, 2);
      const two = evens.take(2).collect();
      const all = odds.collect();
      expect(two.run()).toEqual([2, 4]);
      expect(all.value).toEqual([1, 3, 5, 7, 9]);
      expect(all.done).toBe(true);
    });

    it('an async source: the other branch still sees everything', async () => {
      const io = new IO({ fuse });
      const [a, b] = io.fromAsync(range(50)).tee();
      const [early, rest] = await Promise.all([a.take(2).collect().completion(), b.collect().completion()]);
      expect(early).toEqual([1, 2]);
      expect(rest).toEqual(range(50));
    });
  });
}
