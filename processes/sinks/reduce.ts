// reduce(f, seed): folds everything written into `in`; the result is ready at end of stream.
import { define, each, reducer, value } from '../../engine/definition.js';
import { int, manifestOf } from '../manifest/manifest.js';

export const reduce = define('reduce', {
  ports: ['in'],
  inputs: ['in'],
  params: { f: reducer(), seed: value<unknown>() },
  state: { acc: (p) => p.seed, done: () => false },
  onEnd: (r) => {
    r.state.done = true;
  },
})
  .admittance('>in', 'n')
  .flow('>in', each('acc = f(acc, x);'));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { f, seed }: { f: (a: unknown, x: unknown) => unknown; seed: unknown }): unknown => xs.reduce(f, seed);

export const manifest = manifestOf(reduce, {
  reference,
  cases: [{ harness: 'sink', params: (r) => ({ f: (a: number, x: number) => (a * 7 + x) % 999983, seed: int(r, 5) }), result: (p) => p.state.acc }],
});
