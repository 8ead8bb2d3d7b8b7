// zip borrows a chunk its writer promised to keep unchanged (`stable`) instead
// of copying it into a queue. These tests check that it borrows when it may,
// copies when it must, and that the pairs, the bound and the end of stream are
// the same either way.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { queued, zip } from '../../processes/topology/zip.js';

type Side = 'left' | 'right';
const range = (n: number, at = 0) => Array.from({ length: n }, (_, i) => at + i);
const f = (a: number, b: number) => a * 1000 + b;

/** head (cat) -> zip.left, head (cat) -> zip.right, zip -> collect. */
function harness(fuse: boolean, bound: number) {
  const io = new IO({ fuse });
  const z = new Process(io, zip, { f, bound });
  const sink = new Process(io, collect);
  z.connect('out', sink, 'in');
  const heads = { left: new Process(io, cat), right: new Process(io, cat) };
  heads.left.connect('out', z, 'left');
  heads.right.connect('out', z, 'right');
  /** Writes xs[at, at + want) into a side as far as it admits; returns how many moved. */
  const write = (side: Side, xs: unknown[], at: number, want: number, stable: boolean): number => {
    const h = heads[side];
    const k = h.entry('>in', 'admittance').ready()(want);
    if (k > 0) h.entry('>in', 'flow').ready()(xs, at, k, stable);
    return k;
  };
  return { z, sink, heads, write, items: () => sink.state.items as unknown[] };
}

const pairs = (a: number[], b: number[]) => range(Math.min(a.length, b.length)).map((i) => f(a[i], b[i]));

describe('zip borrows stable chunks', () => {
  for (const fuse of [true, false]) {
    const mode = fuse ? 'fused' : 'interpreted';

    it(`keeps a window on a stable chunk and returns to its own array once it is paired (${mode})`, () => {
      const { z, write, items } = harness(fuse, 100);
      const left = range(10);
      expect(write('left', left, 0, 10, true)).toBe(10);
      expect(z.state.leftBorrowed).toBe(left);
      expect(z.state.left).toEqual([]); // nothing was copied
      expect(queued(z, 'left')).toBe(10);
      const right = range(10, 50);
      write('right', right, 0, 4, true);
      expect(z.state.leftBorrowed).toBe(left);
      expect(queued(z, 'left')).toBe(6);
      write('right', right, 4, 6, false);
      expect(z.state.leftBorrowed).toBe(null);
      expect(queued(z, 'left')).toBe(0);
      expect(z.state.left).toEqual([]);
      expect(items()).toEqual(pairs(left, right));
    });

    it(`copies a chunk without the promise, even into an empty queue (${mode})`, () => {
      const { z, write, items } = harness(fuse, 100);
      const reused = range(8);
      write('right', reused, 0, 8, false);
      expect(z.state.rightBorrowed).toBe(null);
      reused.fill(-1); // the writer reuses its array once the call returns
      write('left', range(8, 20), 0, 8, true);
      expect(items()).toEqual(pairs(range(8, 20), range(8)));
    });

    it(`a stable chunk that continues the borrowed window extends it (${mode})`, () => {
      const { z, write, items } = harness(fuse, 100);
      const left = range(30);
      write('left', left, 0, 12, true);
      write('left', left, 12, 8, true);
      expect(z.state.leftBorrowed).toBe(left);
      expect(queued(z, 'left')).toBe(20);
      expect(z.state.left).toEqual([]);
      write('right', range(20, 500), 0, 20, true);
      expect(items()).toEqual(pairs(left.slice(0, 20), range(20, 500)));
    });

    it(`a second write to a borrowing side copies the window first, then may drop the first chunk (${mode})`, () => {
      for (const second of ['other array', 'gap in the same array', 'unstable'] as const) {
        const { z, write, items } = harness(fuse, 100);
        const first = range(10, 100);
        write('left', first, 2, 5, true);
        expect(z.state.leftBorrowed).toBe(first);
        const next = second === 'gap in the same array' ? first : range(10, 200);
        write('left', next, 8, 2, second !== 'unstable');
        expect(z.state.leftBorrowed).toBe(null);
        expect(queued(z, 'left')).toBe(7);
        // Copied: the first chunk's writer is no longer bound by its promise.
        const expected = [...first.slice(2, 7), ...next.slice(8, 10)];
        first.fill(-1);
        if (second === 'unstable') next.fill(-1);
        write('right', range(7, 900), 0, 7, true);
        expect(items(), second).toEqual(pairs(expected, range(7, 900)));
      }
    });

    it(`pairs a borrowed window against a queue on the other side, in any order (${mode})`, () => {
      const { z, write, items } = harness(fuse, 100);
      const left = range(40);
      const right = range(40, 300);
      write('right', right, 0, 3, false); // right queued in its own array
      write('left', left, 0, 10, true); // pairs 3, borrows 7
      expect(z.state.leftBorrowed).toBe(left);
      expect(queued(z, 'left')).toBe(7);
      write('right', right, 3, 20, true); // pairs 7, borrows 13
      expect(z.state.leftBorrowed).toBe(null);
      expect(z.state.rightBorrowed).toBe(right);
      expect(queued(z, 'right')).toBe(13);
      write('left', left, 10, 30, true);
      expect(queued(z, 'right') + queued(z, 'left')).toBe(17);
      expect(items()).toEqual(pairs(left, right.slice(0, 23)));
    });

    it(`the bound counts a borrowed window (${mode})`, () => {
      const { z, write } = harness(fuse, 16);
      const left = range(100);
      expect(write('left', left, 0, 50, true)).toBe(16);
      expect(z.state.leftBorrowed).toBe(left);
      expect(write('left', left, 16, 50, true)).toBe(0);
      expect(queued(z, 'left')).toBe(16);
    });

    it(`ends when a side ends with an empty queue, whatever the other side has borrowed (${mode})`, () => {
      const { sink, heads, write, items } = harness(fuse, 100);
      const left = range(10);
      write('left', left, 0, 10, true);
      write('right', range(4, 70), 0, 4, true);
      heads.right.end('out');
      expect(sink.state.done).toBe(true);
      expect(heads.left.isEnded('out')).toBe(true); // told to stop
      expect(items()).toEqual(pairs(left, range(4, 70)));
    });

    it(`a side that ends while its window is borrowed still pairs it (${mode})`, () => {
      const { heads, sink, write, items } = harness(fuse, 100);
      const left = range(10);
      write('left', left, 0, 10, true);
      heads.left.end('out');
      expect(sink.state.done).toBe(false);
      const right = range(12, 70);
      write('right', right, 0, 4, true);
      expect(sink.state.done).toBe(false);
      write('right', right, 4, 8, false);
      expect(sink.state.done).toBe(true);
      expect(items()).toEqual(pairs(left, right));
    });

    it(`random rounds with stable, fresh and reused chunks give the pairs and keep the bound (${mode})`, () => {
      let borrowedSeen = 0;
      for (let seed = 1; seed <= 60; seed++) {
        const r = mulberry32(seed * 104729);
        const int = (n: number) => Math.floor(r() * n);
        const bound = 1 + int(40);
        const { z, sink, heads, write, items } = harness(fuse, bound);
        const data = { left: range(int(400), 0), right: range(int(400), 5000) };
        const pos = { left: 0, right: 0 };
        const scratch = { left: [] as number[], right: [] as number[] };
        /** One write of random size and kind into `side`; returns how many elements moved. */
        const step = (side: Side): number => {
          const xs = data[side];
          const want = Math.min(1 + int(bound + 10), xs.length - pos[side]);
          if (want <= 0) return 0;
          const kind = int(3);
          let moved: number;
          if (kind === 0) {
            moved = write(side, xs, pos[side], want, true); // the source's own array, never changed
          } else if (kind === 1) {
            moved = write(side, xs.slice(pos[side], pos[side] + want), 0, want, true); // a fresh array, never changed
          } else {
            // One array reused for every write, overwritten as soon as the call returns.
            const buf = scratch[side];
            for (let i = 0; i < want; i++) buf[3 + i] = xs[pos[side] + i];
            moved = write(side, buf, 3, want, false);
            buf.fill(-1);
          }
          pos[side] += moved;
          return moved;
        };
        // A random side each time (often the same one twice in a row), the other if it cannot move, until neither can.
        for (;;) {
          const order: Side[] = r() < 0.5 ? ['left', 'right'] : ['right', 'left'];
          if (step(order[0]) === 0 && step(order[1]) === 0) break;
          if (z.state.leftBorrowed !== null || z.state.rightBorrowed !== null) borrowedSeen++;
          expect(queued(z, 'left')).toBeLessThanOrEqual(bound);
          expect(queued(z, 'right')).toBeLessThanOrEqual(bound);
          expect(queued(z, 'left') === 0 || queued(z, 'right') === 0).toBe(true);
        }
        const first: Side = r() < 0.5 ? 'left' : 'right';
        heads[first].end('out');
        heads[first === 'left' ? 'right' : 'left'].end('out');
        expect(sink.state.done, `seed ${seed}`).toBe(true);
        expect(items(), `seed ${seed}`).toEqual(pairs(data.left.slice(0, pos.left), data.right.slice(0, pos.right)));
        expect(Math.min(pos.left, pos.right), `seed ${seed}`).toBe(Math.min(data.left.length, data.right.length));
      }
      expect(borrowedSeen).toBeGreaterThan(100);
    });
  }

  for (const fuse of [true, false]) {
    it(`a queue that never empties keeps its array small (${fuse ? 'fused' : 'interpreted'})`, () => {
      // The left side stays one ahead: its queue holds one or two, never none.
      const { z, write, items } = harness(fuse, 100);
      const left = range(10_001);
      const right = range(10_001, 50_000);
      expect(write('left', left, 0, 1, false)).toBe(1);
      for (let i = 0; i < 10_000; i++) {
        expect(write('left', left, i + 1, 1, false)).toBe(1);
        expect(write('right', right, i, 1, false)).toBe(1);
        expect(queued(z, 'left')).toBe(1);
      }
      // Copying 10,000 elements through it, the array behind the queue stayed a few elements long.
      expect((z.state.left as unknown[]).length).toBeLessThan(8);
      expect(write('right', right, 10_000, 1, false)).toBe(1);
      expect(items()).toEqual(pairs(left, right));
    });
  }

  it('array sources hand over their arrays: a zip of two of them copies nothing', () => {
    const io = new IO();
    const left = range(10_000);
    const right = range(10_000, 1);
    const a = new Process(io, from, { xs: left });
    const b = new Process(io, from, { xs: right });
    const z = new Process(io, zip, { f, bound: 8192 });
    const sink = new Process(io, collect);
    a.connect('out', z, 'left');
    b.connect('out', z, 'right');
    z.connect('out', sink, 'in');
    // `||`: the left source often goes twice in a row, and continues its window.
    while (pumpOnce(a) === 'moved' || pumpOnce(b) === 'moved') {
      expect(z.state.left).toEqual([]);
      expect(z.state.right).toEqual([]);
    }
    expect(sink.state.done).toBe(true);
    expect(sink.state.items).toEqual(pairs(left, right));
  });
});
