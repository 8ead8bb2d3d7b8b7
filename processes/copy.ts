// copy: a broadcast. Everything written into `in` goes to every connected
// member of `out[]`, in member order. It admits what the least willing member
// admits (intersect), so a slow consumer holds the others back and nothing is
// buffered without bound. Branches that meet again on one port are mended or
// refused at compile time (see the over-commit note in docs/multiport.md).
//
// A branch whose reader ends (a take that has all it wanted) gets nothing more
// and holds nobody back; the others go on. The input ends only when every
// branch has ended, found when the copy is next asked what it admits (not when
// the last connected branch ends: more branches may still be connected).
import { define } from '../engine/definition.js';

export const copy = define('copy', {
  ports: ['in', 'out[]'],
  inputs: ['in'],
  onEnd: (c, port) => {
    // The input ended: every branch has everything. A branch ended: the others go on.
    if (port === 'in') c.endOthers('in');
  },
})
  .flow('>in', 'out[]>');

/** Plain reference implementation, for the equivalence test: each member gets everything. */
export const reference = (xs: unknown[], { members }: { members: number }): unknown[][] => Array.from({ length: members }, () => xs.slice());
