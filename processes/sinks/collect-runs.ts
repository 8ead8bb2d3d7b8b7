// collectRuns: collect for a writer that hands whole runs, such as the merge
// of parallel(), which gives each chunk's outputs as one run.
//
// collect pushes element by element into one growing array. For a million
// elements that costs about 30 ms (the array's store is copied each time it
// grows, and each old store is garbage in the large-object space); keeping
// each run as it comes (one copy: the writer may reuse its chunk) and joining
// them once, into an array made at its final length, costs about 7 ms (node 20 on the
// 2-core machine of docs/workers.md). After parallel() that
// time is the main thread's, which shares the cores with the workers.
//
// It is a chunk-level rule, so it is a barrier: inside a fused loop (a map
// before it) the elements are gathered and handed over once per flow, which
// is still one run. The result is the same array collect gives.
//
// A writer that knows how many elements may come at most (the merge of
// parallel() over an array, with steps that make one output per input) says
// so first (expectAtMost): the array is then made at that length when the
// first run comes and each run is copied into it as it comes. Making an array
// of a million elements is mostly the system's first touch of its 8 MB; done
// at the end it was time the workers, already finished, waited for, and it
// comes with a copy of every run less. Fewer elements than said: the array is
// cut to length at the end; more: the runs after it are kept and joined as
// above.
import { chunk, define, type InstanceOf } from '../../engine/definition.js';
import { manifestOf } from '../manifest/manifest.js';

export const collectRuns = define('collectRuns', {
  ports: ['in'],
  inputs: ['in'],
  state: {
    /** The elements joined so far. */
    items: (): unknown[] => [],
    /** Runs that came after `items` was joined, in order. */
    runs: (): ArrayLike<unknown>[] => [],
    /** Elements in `runs`. */
    held: () => 0,
    done: () => false,
    /** The most elements the writer said may come (0: it did not say). */
    room: () => 0,
    /** While `items` is made at `room` and filled in place: how much of it is filled; -1 otherwise. */
    filled: () => -1,
  },
  onEnd: (c) => {
    // Joined once, here: the state at the end is the same whatever the runs were.
    collected(c);
    c.state.done = true;
  },
})
  .admittance('>in', 'n')
  .flow('>in', chunk((c, xs, offset, n) => {
    if (n === 0) return 0;
    const { state } = c;
    if (state.room > 0 && state.filled < 0 && state.items.length === 0 && state.runs.length === 0) {
      state.items = new Array<unknown>(state.room);
      state.filled = 0;
    }
    if (state.filled >= 0) {
      if (state.filled + n <= state.items.length) {
        // Copied in: the chunk is not promised stable.
        state.filled = append(state.items, state.filled, xs as ArrayLike<unknown>, offset, n);
        return n;
      }
      // More than was said: what was filled stays as the joined part, and runs are kept from here on.
      state.items.length = state.filled;
      state.filled = -1;
      state.room = 0;
    }
    // A copy: the chunk is not promised stable (a reader may reuse it once the flow returns).
    // A run of numbers that came typed (the merge of parallel()) is kept typed: its store is outside the heap.
    const given: unknown = xs;
    const run = Array.isArray(given) || isNumberRun(given) ? given.slice(offset, offset + n) : Array.prototype.slice.call(xs, offset, offset + n) as unknown[];
    c.state.runs.push(run);
    c.state.held += n;
    return n;
  }));

type CollectRuns = InstanceOf<typeof collectRuns>;

/**
 * The writer's word that at most `n` elements will come: the array is made at
 * that length on the first run (not before: a chain that ends early makes
 * none). Only before anything came.
 */
export function expectAtMost(c: CollectRuns, n: number): void {
  if (c.state.items.length === 0 && c.state.runs.length === 0 && c.state.filled < 0) c.state.room = n;
}

/** Everything collected so far, in order, as one array (the runs are joined now, once). */
export function collected(c: CollectRuns): unknown[] {
  const { runs, items } = c.state;
  // Filled in place: cut to what came (a run after this does not fit, and is kept as a run).
  if (c.state.filled >= 0 && c.state.filled < items.length) items.length = c.state.filled;
  if (runs.length === 0) return items;
  let joined: unknown[];
  if (items.length === 0 && runs.length === 1 && Array.isArray(runs[0])) {
    joined = runs[0];
  } else {
    // Made at its final length and filled: no store copied as it grows.
    joined = new Array<unknown>(items.length + c.state.held);
    let at = 0;
    for (let i = 0; i < items.length; i++) joined[at++] = items[i];
    for (const run of runs) at = append(joined, at, run, 0, run.length);
  }
  c.state.items = joined;
  c.state.runs = [];
  c.state.held = 0;
  return joined;
}

// One loop per kind of run, so that each reads one kind of store. Copies run[from, from + n) to into[at, …); returns where it ended.
function append(into: unknown[], at: number, run: ArrayLike<unknown>, from: number, n: number): number {
  const to = from + n;
  if (run instanceof Int32Array) for (let i = from; i < to; i++) into[at++] = run[i];
  else if (run instanceof Float64Array) for (let i = from; i < to; i++) into[at++] = run[i];
  else for (let i = from; i < to; i++) into[at++] = run[i];
  return at;
}

function isNumberRun(xs: unknown): xs is Int32Array | Float64Array {
  return xs instanceof Int32Array || xs instanceof Float64Array;
}

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[]): unknown[] => xs.slice();

export const manifest = manifestOf(collectRuns, { reference, cases: [{ harness: 'sink', params: () => ({}), result: (p) => collected(p as CollectRuns) }] });
