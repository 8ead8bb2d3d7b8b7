// fold(f, seed): a reducer that emits its result. Folds everything written into
// `in`; when the input ends, the accumulator goes out through `out` as one
// element (after an abort nothing is emitted: a partial result is not a result).
import { define, each, reducer, value } from '../../engine/definition.js';
import { endWhenFlushed, residualState } from '../bytes/residual.js';
import { manifestOf, records } from '../manifest/manifest.js';

export const fold = define('fold', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { f: reducer(), seed: value<unknown>() },
  state: { acc: (p) => p.seed, done: () => false, ...residualState },
  onEnd: (r, port) => {
    if (port === 'out') {
      r.end('in');
      return;
    }
    r.state.done = true;
    endWhenFlushed(r, [r.state.acc]);
  },
})
  .admittance('>in', 'n')
  .flow('>in', each('acc = f(acc, x);'));

/** Plain reference implementation. */
export function reference(xs: unknown[], { f, seed }: { f: (a: unknown, x: unknown) => unknown; seed: unknown }): unknown[] {
  return [xs.reduce(f, seed)];
}

export const manifest = manifestOf(fold, {
  reference,
  cases: [{ harness: 'chain', input: records, params: () => ({ f: (a: number, x: string) => a + x.length, seed: 0 }) }],
  stages: [{ name: 'sum', synopsis: 'sum', args: 'none', help: ['the sum of the records as numbers (see Numbers)'], build: (chain) => chain.sum() }],
});
