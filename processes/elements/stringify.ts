// stringify(stringify): one string out per value in (JSON Lines output, or the
// command line's record format). One-to-one, so it fuses on reads too.
import { define, each, value } from '../../engine/definition.js';
import { manifestOf, records } from '../manifest/manifest.js';

export const stringify = define('stringify', { ports: ['in', 'out'], inputs: ['in'], params: { stringify: value<(x: unknown) => string>() } })
  .flow('>in', each('emit(stringify(x))', 'out>', { oneToOne: true }))
  .flow('<out', each('emit(stringify(x))', 'in<', { oneToOne: true }));

/** JSON for values, strings as they are: how records are printed. */
export function record(x: unknown): string {
  if (typeof x === 'string') return x;
  if (typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean') return String(x);
  if (x === undefined) return '';
  return JSON.stringify(x) ?? '';
}

/** Plain reference implementation. */
export function reference(xs: unknown[], { stringify: s }: { stringify: (x: unknown) => string }): string[] {
  return xs.map((x) => s(x));
}

export const manifest = manifestOf(stringify, { reference, cases: [{ harness: 'chain', input: records, params: () => ({ stringify: record }) }] });
