// map(f): one element out for each element in.
import { define, each, mapper } from '../../engine/definition.js';
import { int, manifestOf } from '../manifest/manifest.js';

export const map = define('map', { ports: ['in', 'out'], inputs: ['in'], params: { f: mapper() } })
  .flow('>in', each('emit(f(x))', 'out>', { oneToOne: true }))
  .flow('<out', each('emit(f(x))', 'in<', { oneToOne: true }));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { f }: { f: (x: unknown) => unknown }): unknown[] => xs.map((x) => f(x));

export const manifest = manifestOf(map, {
  reference,
  cases: [{ harness: 'element', readable: true, params: (r) => { const k = int(r, 7); return { f: (x: number) => x * 3 + k }; } }],
  stages: [{
    name: 'map', synopsis: 'map EXPR', args: 'expression',
    help: ['replace each record x by EXPR (as for filter), e.g.', "'l => l.slice(0, 80)' or 'x.toUpperCase()'"],
    build: (chain, [expression], c) => {
      const f = c.compile(expression);
      return chain.map((x) => f(c.text(x)));
    },
  }],
});
