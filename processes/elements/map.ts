// map(f): one element out for each element in.
import { define, each, mapper } from '../../engine/definition.js';

export const map = define('map', { ports: ['in', 'out'], inputs: ['in'], params: { f: mapper() } })
  .flow('>in', each('emit(f(x))', 'out>', { oneToOne: true }))
  .flow('<out', each('emit(f(x))', 'in<', { oneToOne: true }));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { f }: { f: (x: unknown) => unknown }): unknown[] => xs.map((x) => f(x));
