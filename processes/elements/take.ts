// take(limit): the first `limit` elements, then end of stream both ways.
//
// The admittance never lets more than `remaining` in, so the flow needs no
// per-element test; on a chunk straight from a source it is a loop bound.
// A take with nothing left (take(0)) ends its input as it is connected and its
// output when the run starts: no flow would ever come to end it, and the
// source must not wait for one.
import { define, each, value, type Instance } from '../../engine/definition.js';
import { int, manifestOf } from '../manifest/manifest.js';

type Take = Instance<{ limit: number }, { remaining: number }>;

function finishWhenDone(t: Take): void {
  if (t.state.remaining <= 0) {
    t.end('out');
    t.end('in');
  }
}

/**
 * take(0) is finished before anything flows: its input ends as it is connected,
 * so the source never waits for it. Its output ends when the run starts (see
 * `settle`), once whatever reads it is connected too: a count after it still
 * gets to say 0.
 */
function stopSourceIfDone(t: Take, port: string): void {
  if (port === 'in' && t.state.remaining <= 0) t.end('in');
}

export const take = define('take', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { limit: value<number>() },
  state: { remaining: (p) => Math.max(0, Number(p.limit)) },
  counters: ['remaining'],
  settle: finishWhenDone,
  onConnect: stopSourceIfDone,
})
  .admittance('>in', 'Math.min(remaining, admit("out>"))')
  .flow('>in', each('remaining--; emit(x)', 'out>', { oneToOne: true, range: 'remaining -= end - start;' }))
  .admittance('<out', 'Math.min(remaining, admit("in<"))')
  .flow('<out', each('remaining--; emit(x)', 'in<', { oneToOne: true, range: 'remaining -= end - start;' }));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { limit }: { limit: number }): unknown[] => xs.slice(0, limit);

export const manifest = manifestOf(take, {
  reference,
  cases: [{ harness: 'element', readable: true, params: (r) => ({ limit: int(r, 120) }) }],
  stages: [{ name: 'take', synopsis: 'take N', args: 'count', help: ['the first N records, then stop reading'], build: (chain, [n]) => chain.take(Number(n)) }],
});
