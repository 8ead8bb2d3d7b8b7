// drop(count): everything after the first `count` elements.
//
// A write admits the elements still to be skipped plus what the target admits.
// On a chunk straight from a source the skip moves the loop's start.
import { admitWith, chunk, define, each, value, type Instance } from '../../engine/definition.js';
import { pull } from './pull.js';
import { int, manifestOf } from '../manifest/manifest.js';

type Drop = Instance<{ count: number }, { skip: number }>;

/** Reads pull and discard what is still to be skipped before admitting anything. */
function skipUpstream(d: Drop): boolean {
  const scratch: unknown[] = [];
  while (d.state.skip > 0) {
    scratch.length = 0;
    const got = pull(d, 'in', scratch, 0, Math.min(d.state.skip, 4096));
    if (got === 0) return false;
    d.state.skip -= got;
  }
  return true;
}

function upstreamAdmits(d: Drop, n: number): number {
  const far = d.peer('in');
  if (!far) return 0;
  return far.process.entry(`<${far.port}`, 'admittance').ready()(n);
}

export const drop = define('drop', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { count: value<number>() },
  state: { skip: (p) => Math.max(0, Number(p.count)) },
  counters: ['skip'],
})
  .admittance('>in', 'skip + admit("out>")')
  .flow('>in', each('if (skip > 0) skip--; else emit(x);', 'out>', {
    range: 'const k = Math.min(skip, end - start); skip -= k; start += k;',
  }))
  .admittance('<out', admitWith((d, n) => (skipUpstream(d) ? upstreamAdmits(d, n) : 0)))
  .flow('<out', chunk((d, xs, offset, n) => {
    if (!skipUpstream(d)) return 0;
    let moved = 0;
    while (moved < n) {
      const got = pull(d, 'in', xs, offset + moved, n - moved);
      if (got === 0) break;
      moved += got;
    }
    return moved;
  }));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { count }: { count: number }): unknown[] => xs.slice(count);

export const manifest = manifestOf(drop, {
  reference,
  cases: [{ harness: 'element', readable: true, params: (r) => ({ count: int(r, 120) }) }],
  stages: [{ name: 'drop', synopsis: 'drop N', args: 'count', help: ['all but the first N records'], build: (chain, [n]) => chain.drop(Number(n)) }],
});
