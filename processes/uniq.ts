// uniq: drops an element equal (===) to the one just before it, like uniq(1).
import { define, each } from '../engine/definition.js';

export const uniq = define('uniq', {
  ports: ['in', 'out'],
  inputs: ['in'],
  state: { last: () => undefined as unknown, seen: () => false },
})
  .flow('>in', each('if (!seen || x !== last) { seen = true; last = x; emit(x); }', 'out>'));

/** Plain reference implementation. */
export function reference(xs: unknown[]): unknown[] {
  return xs.filter((x, i) => i === 0 || x !== xs[i - 1]);
}
