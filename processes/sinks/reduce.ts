// reduce(f, seed): folds everything written into `in`; the result is ready at end of stream.
import { define, each, reducer, value } from '../../engine/definition.js';

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
