// copy: a broadcast. Everything written into `in` goes to every connected
// member of `out[]`, in member order. It admits what the least willing member
// admits (intersect), so a slow consumer holds the others back and nothing is
// buffered without bound. Branches that meet again in one fused flow are
// refused at compile time (see the over-commit note in docs/multiport.md).
import { define } from '../engine/definition.js';

export const copy = define('copy', { ports: ['in', 'out[]'], inputs: ['in'] })
  .flow('>in', 'out[]>');

/** Plain reference implementation, for the equivalence test: each member gets everything. */
export const reference = (xs: unknown[], { members }: { members: number }): unknown[][] => Array.from({ length: members }, () => xs.slice());
