// collect: keeps everything written into `in`, in order.
import { define, each } from '../../engine/definition.js';
import { manifestOf } from '../manifest/manifest.js';

export const collect = define('collect', {
  ports: ['in'],
  inputs: ['in'],
  state: { items: (): unknown[] => [], done: () => false },
  onEnd: (c) => {
    c.state.done = true;
  },
})
  .admittance('>in', 'n')
  .flow('>in', each('items.push(x);'));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[]): unknown[] => xs.slice();

export const manifest = manifestOf(collect, { reference, cases: [{ harness: 'sink', params: () => ({}), result: (p) => p.state.items }] });
