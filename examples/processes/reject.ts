// reject(p): keeps the elements for which p(x) is false (grep's opposite).
import { define, each, predicate } from '../../engine/definition.js';
import { int, manifestOf } from '../../processes/manifest/manifest.js';

export const reject = define('reject', { ports: ['in', 'out'], inputs: ['in'], params: { p: predicate() } })
  .flow('>in', each('if (!p(x)) emit(x)', 'out>'));

/** Plain reference implementation, for the equivalence suite. */
export const reference = (xs: unknown[], { p }: { p: (x: unknown) => unknown }): unknown[] => xs.filter((x) => !p(x));

export const manifest = manifestOf(reject, {
  reference,
  cases: [{ harness: 'element', params: (r) => { const m = 2 + int(r, 3); return { p: (x: number) => x % m === 0 }; } }],
});
