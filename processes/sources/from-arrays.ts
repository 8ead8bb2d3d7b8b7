// fromArrays(arrays): one source over many arrays, taking turns: each round
// proposes up to PUMP_CHUNK elements of the next array that has any left. This
// is exactly what a merge of separate array sources does when they are pumped
// round-robin, so io.merge rewrites a merge of untouched array sources into
// one of these: a thousand sources then cost one process, not a thousand.
import { chunk, define, value, type Instance } from '../../engine/definition.js';
import { registerDriver } from '../../engine/run.js';
import { pump } from './from.js';
import { int, manifestOf } from '../manifest/manifest.js';

interface Cursor {
  /** Indices of the arrays in turn order; -1 where an array has run out. */
  live: number[];
  /** How many entries of `live` are -1. */
  holes: number;
  /** Position in `live` of the array whose turn it is. */
  turn: number;
  /** Next position in each array. */
  pos: number[];
}

type FromArrays = Instance<{ arrays: unknown[][] }, { cursor: Cursor; left: number }>;

export const fromArrays = define('fromArrays', {
  ports: ['out'],
  params: { arrays: value<unknown[][]>() },
  state: {
    cursor: (p): Cursor => {
      const { arrays } = p;
      return { live: arrays.flatMap((a, i) => (a.length > 0 ? [i] : [])), holes: 0, turn: 0, pos: arrays.map(() => 0) };
    },
    left: (p) => p.arrays.reduce((n, a) => n + a.length, 0),
  },
})
  .admittance('<out', 'left')
  .flow('<out', chunk((s, dest, offset, n) => {
    let moved = 0;
    while (moved < n) {
      const [xs, pos, k] = turn(s, n - moved);
      for (let i = 0; i < k; i++) (dest as unknown[])[offset + moved + i] = xs[pos + i];
      advance(s, k);
      moved += k;
    }
    if (s.state.left === 0) s.end('out');
    return moved;
  }));

/** The array whose turn it is, where it stands, and how much of it to propose (at most `max`). */
export function turn(s: FromArrays, max: number): [unknown[], number, number] {
  const c = s.state.cursor;
  const i = c.live[c.turn];
  const xs = s.params.arrays[i];
  return [xs, c.pos[i], Math.min(max, xs.length - c.pos[i])];
}

/** Records that k elements of the current turn moved, and passes the turn on. */
export function advance(s: FromArrays, k: number): void {
  const c = s.state.cursor;
  const i = c.live[c.turn];
  c.pos[i] += k;
  s.state.left -= k;
  if (c.pos[i] >= s.params.arrays[i].length) {
    // Removing from the middle each time would cost O(arrays²) over a run:
    // leave a hole, skip holes, and compact once they are half the list.
    c.live[c.turn] = -1;
    if (++c.holes * 2 > c.live.length) {
      // `live` stays in array order, so the next turn is the first array after i.
      c.live = c.live.filter((j) => j >= 0);
      c.holes = 0;
      c.turn = Math.max(0, c.live.findIndex((j) => j > i));
      return;
    }
  }
  nextTurn(c);
}

function nextTurn(c: Cursor): void {
  if (c.live.length === c.holes) return;
  do {
    c.turn = c.turn + 1 >= c.live.length ? 0 : c.turn + 1;
  } while (c.live[c.turn] < 0);
}

registerDriver(fromArrays, async (s) => {
  for (;;) {
    if (pump(s) !== 'blocked') return;
    await s.whenWritableAgain('out');
  }
});

/** Plain reference implementation: the arrays interleaved a chunk at a time. */
export function reference(_: unknown[], { arrays, chunk: size }: { arrays: unknown[][]; chunk: number }): unknown[] {
  const pos = arrays.map(() => 0);
  const out: unknown[] = [];
  for (let left = arrays.reduce((n, a) => n + a.length, 0); left > 0;) {
    arrays.forEach((a, i) => {
      const k = Math.min(size, a.length - pos[i]);
      for (let j = 0; j < k; j++) out.push(a[pos[i] + j]);
      pos[i] += k;
      left -= k;
    });
  }
  return out;
}

export const manifest = manifestOf(fromArrays, { reference, cases: [{ harness: 'arrays', params: (r) => ({ arrays: [], parts: 1 + int(r, 6) }) }] });
