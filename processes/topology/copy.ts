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
import { define } from '../../engine/definition.js';
import { Process } from '../../engine/process.js';
import { joinRunOf } from '../../engine/run.js';
import { mendWith } from '../../jit/overcommit.js';
import { buffer } from './buffer.js';
import { PUMP_CHUNK } from '../sources/from.js';
import { int, manifestOf } from '../manifest/manifest.js';

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

/**
 * The mend for the over-commit trap: a buffer between a branch and what it fed,
 * holding one flow (a source's round), in the copy's realm. The far end keeps
 * the buffer alive, as any input.
 */
mendWith((c, member) => {
  const far = c.peer(member);
  const slack = new Process(c.io, buffer, { capacity: PUMP_CHUNK }, c.realm);
  joinRunOf(slack, c);
  c.disconnect(member);
  c.connect(member, slack, 'in');
  if (far) slack.connect('out', far.process, far.port);
  return slack;
});

export const manifest = manifestOf(copy, {
  reference,
  cases: [{ harness: 'fan-out', params: (r) => ({ members: 1 + int(r, 4) }), members: (p) => Number(p.members) }],
});
