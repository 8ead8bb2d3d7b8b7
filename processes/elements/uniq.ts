// uniq: drops an element equal to the one just before it, like uniq(1).
// Equal means equal by value: the same string or number, the same bytes, or
// JSON-like arrays and objects with equal members (objects in any key order,
// as jq compares them), so `jsonl uniq` drops a repeated object.
import { define, each, value } from '../../engine/definition.js';
import { manifestOf, records } from '../manifest/manifest.js';

/** Equality by value, for strings, numbers, bytes and JSON-like values. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // A line kept as bytes equals text with the same bytes.
  if (typeof a === 'string' && b instanceof Uint8Array) return Buffer.from(a, 'utf8').equals(b);
  if (a instanceof Uint8Array && typeof b === 'string') return Buffer.from(b, 'utf8').equals(a);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    // NaN equals itself here, as it does in a uniq of printed values.
    return typeof a === 'number' && typeof b === 'number' && a !== a && b !== b;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

export const uniq = define('uniq', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { same: value<(a: unknown, b: unknown) => boolean>() },
  state: { last: (): unknown => undefined, seen: () => false },
})
  // `same` is only asked when the two are not the very same value.
  .flow('>in', each('if (!seen || (x !== last && !same(x, last))) { seen = true; last = x; emit(x); }', 'out>'));

/** Plain reference implementation. */
export function reference(xs: unknown[]): unknown[] {
  return xs.filter((x, i) => i === 0 || !sameValue(x, xs[i - 1]));
}

export const manifest = manifestOf(uniq, {
  reference,
  cases: [{ harness: 'chain', input: records, params: () => ({ same: sameValue }) }],
  stages: [{
    name: 'uniq', synopsis: 'uniq', args: 'none',
    help: ['drop a record equal to the one just before it (the', 'same bytes; JSON values by value)'],
    build: (chain) => chain.uniq(),
  }],
});
