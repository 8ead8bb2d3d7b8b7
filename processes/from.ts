// from(xs): a source over an array. Readers pull from `out`; `pump` pushes into
// whatever `out` is connected to, as much as it admits, until the array is done
// or the far end stops admitting.
import { chunk, define } from '../engine/definition.js';
import type { Process } from '../engine/process.js';

export const from = define('from', {
  ports: ['out'],
  params: ['xs'],
  state: { pos: () => 0 },
})
  .admittance('<out', 'xs.length - pos')
  .flow('<out', chunk((s, dest, offset, n) => {
    const xs = s.params.xs as unknown[];
    const pos = s.state.pos as number;
    const out = dest as unknown[];
    for (let i = 0; i < n; i++) out[offset + i] = xs[pos + i];
    s.state.pos = pos + n;
    if (pos + n >= xs.length) s.end('out');
    return n;
  }));

export type PumpResult = 'done' | 'blocked' | 'cancelled';

/**
 * Elements proposed per round. Bounded chunks keep a slow consumer's latency
 * down and, measured, let V8 optimise the fused function by ordinary calls: one
 * call over a million elements leaves it to on-stack replacement, whose code
 * ran up to twice as slow here (bench/core.ts).
 */
export const PUMP_CHUNK = 4096;

/** Pushes the rest of the array downstream. */
export function pump(s: Process): PumpResult {
  const xs = s.params.xs as unknown[];
  const admit = s.entry('out>', 'admittance');
  const flow = s.entry('out>', 'flow');
  let pos = s.state.pos as number;
  while (pos < xs.length) {
    if (s.isEnded('out')) return 'cancelled';
    const k = admit.ready()(Math.min(PUMP_CHUNK, xs.length - pos));
    if (k === 0) return s.isEnded('out') ? 'cancelled' : 'blocked';
    flow.ready()(xs, pos, k);
    pos += k;
    s.state.pos = pos;
  }
  s.end('out');
  return 'done';
}

/** Plain reference implementation, for the equivalence test. */
export const reference = (_: unknown[], { xs }: { xs: unknown[] }): unknown[] => xs.slice();
