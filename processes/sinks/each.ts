// each(f): calls f on everything written into `in`. A side effect: the chain API pins it.
import { define, each as eachRule, mapper } from '../../engine/definition.js';
import { manifestOf } from '../manifest/manifest.js';

export const each = define('each', {
  ports: ['in'],
  inputs: ['in'],
  params: { f: mapper() },
  state: { done: () => false },
  onEnd: (e) => {
    e.state.done = true;
  },
})
  .admittance('>in', 'n')
  .flow('>in', eachRule('f(x);'));

/** Plain reference implementation, for the equivalence test. */
export function reference(xs: unknown[], { f }: { f: (x: unknown) => void }): void {
  for (const x of xs) f(x);
}

// The harness gives `f`, which records what it is called with: that is the result.
export const manifest = manifestOf(each, {
  reference,
  cases: [{ harness: 'sink', params: () => ({ f: () => undefined }), result: (_p, seen) => seen, expected: (xs) => xs }],
});
