// cat: passes data from `in` to `out`, for writes into `in` and reads from `out`.
import { define } from '../../engine/definition.js';
import { manifestOf } from '../manifest/manifest.js';

export const cat = define('cat', { ports: ['in', 'out'], inputs: ['in'] })
  .flow('>in', 'out>')
  .flow('<out', 'in<');

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[]): unknown[] => xs.slice();

export const manifest = manifestOf(cat, { reference, cases: [{ harness: 'element', params: () => ({}), readable: true }] });
