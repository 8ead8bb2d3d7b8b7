// flatMap(f): each element becomes the elements of f(x) (an array or any
// iterable), in order. concatMap is the same process: inner sequences here are
// synchronous, so concatenation and merging coincide.
//
// An expanding process must never over-commit. Before a write it asks what
// `out` admits without limit: when the answer is unbounded (a fold, a
// collector) it admits the whole write and the expansion fuses into the loop;
// when it is bounded it admits one element at a time, and what the budget
// cannot take waits in `residual`, which is delivered before anything new is
// admitted. Readers pull one element at a time into the residual.
import { admitWith, chunk, define, each, mapper, type Instance } from '../../engine/definition.js';
import { untilWritten } from '../../engine/run.js';
import { admitOut, pull } from './pull.js';
import { int, manifestOf } from '../manifest/manifest.js';

type FlatMap = Instance<{ f: (x: unknown) => Iterable<unknown> }, { residual: unknown[]; budget: number }>;

/** Delivers as much of the residual as `out` admits; true when none is left. */
function flush(p: FlatMap): boolean {
  const rest = p.state.residual;
  while (rest.length > 0) {
    const k = admitOut(p, 'out', rest.length);
    if (k === 0) return false;
    p.entry('out>', 'flow').ready()(rest, 0, k);
    rest.splice(0, k);
  }
  return true;
}

function expand(p: FlatMap, x: unknown): unknown[] {
  const ys = p.params.f(x);
  return Array.isArray(ys) ? ys : Array.from(ys);
}

export const flatMap = define('flatMap', {
  ports: ['in', 'out'],
  inputs: ['in'],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  params: { f: mapper<(x: any) => Iterable<unknown>>() },
  state: { residual: (): unknown[] => [], budget: () => 0 },
  onEnd: (p, port) => {
    if (port === 'out') {
      p.end('in');
      return;
    }
    untilWritten(p, 'out', () => {
      if (!flush(p) && !p.isEnded('out')) return false;
      p.end('out');
      return true;
    });
  },
})
  .admittance('>in', admitWith((p, n) => {
    if (!flush(p)) return 0;
    const budget = admitOut(p, 'out', Infinity);
    p.state.budget = budget;
    return budget === Infinity ? n : Math.min(n, budget > 0 ? 1 : 0);
  }))
  .flow('>in', each(
    'let ys = f(x); if (!Array.isArray(ys)) ys = Array.from(ys); ' +
    'for (let j = 0; j < ys.length; j++) { if (budget > 0) { budget--; emit(ys[j]); } else residual.push(ys[j]); }',
    'out>',
  ))
  .admittance('<out', admitWith((p, n) => {
    const rest = p.state.residual;
    const one: unknown[] = [];
    while (rest.length < n) {
      one.length = 0;
      if (pull(p, 'in', one, 0, 1) === 0) break;
      for (const y of expand(p, one[0])) rest.push(y);
    }
    return Math.min(n, rest.length);
  }))
  .flow('<out', chunk((p, xs, offset, n) => {
    const rest = p.state.residual;
    const k = Math.min(n, rest.length);
    for (let i = 0; i < k; i++) (xs as unknown[])[offset + i] = rest[i];
    rest.splice(0, k);
    return k;
  }));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { f }: { f: (x: unknown) => Iterable<unknown> }): unknown[] => xs.flatMap((x) => [...f(x)]);

export const manifest = manifestOf(flatMap, {
  reference,
  cases: [{
    harness: 'element', readable: true,
    params: (r) => { const k = 1 + int(r, 4); return { f: (x: number) => Array.from({ length: x % k }, (_, i) => x + i) }; },
  }],
});
