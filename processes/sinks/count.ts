// count: counts what is written into `in`; when the input ends, the count goes
// out through `out` as one element (or stays in `total` when `out` is not
// connected). On a chunk straight from a barrier the count is one addition.
import { define, each } from '../../engine/definition.js';
import { endWhenFlushed } from '../bytes/residual.js';
import { residualState } from '../bytes/residual.js';
import { manifestOf, records } from '../manifest/manifest.js';

export const count = define('count', {
  ports: ['in', 'out'],
  inputs: ['in'],
  state: { total: () => 0, done: () => false, ...residualState },
  onEnd: (c, port) => {
    if (port === 'out') {
      c.end('in');
      return;
    }
    c.state.done = true;
    endWhenFlushed(c, [c.state.total]);
  },
})
  .admittance('>in', 'n')
  .flow('>in', each('total++;', undefined, { range: 'total += end - start;' }));

/** Plain reference implementation. */
export function reference(xs: unknown[]): number[] {
  return [xs.length];
}

export const manifest = manifestOf(count, {
  reference,
  cases: [{ harness: 'chain', input: records, params: () => ({}) }],
  stages: [{ name: 'count', synopsis: 'count', args: 'none', help: ['the number of records'], build: (chain) => chain.count() }],
});
