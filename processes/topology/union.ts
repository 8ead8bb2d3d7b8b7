// union: a merge. A write into any member of `in[]` passes to `out`, with the
// admittance of `out`; the output ends once every connected input has ended.
// Fairness between sources is the driver's: runs pump sources round-robin in
// bounded chunks. Readers of `out` pull the inputs round-robin too.
import { admitWith, chunk, define } from '../../engine/definition.js';
import type { Process } from '../../engine/process.js';
import { pull } from '../elements/pull.js';
import { int, manifestOf } from '../manifest/manifest.js';

function inputs(u: Process): number[] {
  return u.members('in');
}

function upstreamAdmits(u: Process, n: number): number {
  let total = 0;
  for (const m of inputs(u)) {
    const far = u.peer(m);
    if (far) total += far.process.entry(`<${far.port}`, 'admittance').ready()(n - total);
    if (total >= n) break;
  }
  return total;
}

export const union = define('union', {
  ports: ['out', 'in[]'],
  inputs: ['in[]'],
  state: { next: () => 0, ended: () => 0, inputs: () => 0 },
  onEnd: (u, port) => {
    if (port === 'out') {
      for (const m of inputs(u)) u.end(m);
      return;
    }
    // Count ends instead of checking every input each time (a merge of n inputs
    // would be O(n²)); count the inputs again only when the ends catch up.
    const ended = ++u.state.ended;
    if (ended >= u.state.inputs) {
      const members = inputs(u);
      u.state.inputs = members.length;
      if (members.every((m) => u.isEnded(m))) u.end('out');
    }
  },
})
  .flow('>in[]', 'out>')
  .admittance('<out', admitWith(upstreamAdmits))
  .flow('<out', chunk((u, xs, offset, n) => {
    // Round-robin from where the last read stopped, so no input starves.
    const members = inputs(u);
    let moved = 0;
    for (let tries = 0; moved < n && tries < members.length; tries++) {
      const i = u.state.next % members.length;
      u.state.next = i + 1;
      moved += pull(u, u.portName(members[i]), xs, offset + moved, n - moved);
    }
    return moved;
  }));

/** Plain reference implementation: the inputs one after another (the order a round-robin read preserves per input). */
export const reference = (inputsXs: unknown[][]): unknown[] => inputsXs.flat();

export const manifest = manifestOf(union, { reference, cases: [{ harness: 'fan-in', params: (r) => ({ inputs: 1 + int(r, 5) }) }] });
