// tap: passes everything on and counts it in `seen` (progress reports).
import { define, each } from '../../engine/definition.js';
import { manifestOf, records } from '../manifest/manifest.js';

export const tap = define('tap', { ports: ['in', 'out'], inputs: ['in'], state: { seen: () => 0 } })
  .flow('>in', each('seen++; emit(x)', 'out>', { oneToOne: true, range: 'seen += end - start;' }));

/** Plain reference implementation. */
export function reference(xs: unknown[]): unknown[] {
  return xs.slice();
}

export const manifest = manifestOf(tap, { reference, cases: [{ harness: 'chain', input: records, params: () => ({}) }] });
