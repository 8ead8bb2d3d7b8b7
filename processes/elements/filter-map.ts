// filterMap(f, skip): one element out for each element in, except where f
// returns `skip`. The error policy 'skip' uses it in place of map, so that a
// failing element is dropped instead of becoming a value.
import { define, each, mapper, value } from '../../engine/definition.js';
import { manifestOf, records } from '../manifest/manifest.js';

export const filterMap = define('filterMap', { ports: ['in', 'out'], inputs: ['in'], params: { f: mapper(), skip: value<unknown>() } })
  .flow('>in', each('const y = f(x); if (y !== skip) emit(y);', 'out>'));

/** Plain reference implementation. */
export function reference(xs: unknown[], { f, skip }: { f: (x: unknown) => unknown; skip: unknown }): unknown[] {
  return xs.map((x) => f(x)).filter((y) => y !== skip);
}

const SKIPPED = Symbol('skipped');

export const manifest = manifestOf(filterMap, {
  reference,
  cases: [{ harness: 'chain', input: records, params: () => ({ f: (x: string) => (x.length > 3 ? x.length : SKIPPED), skip: SKIPPED }) }],
});
