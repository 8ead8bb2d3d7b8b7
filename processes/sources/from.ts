// from(xs): a source over an array. Readers pull from `out`; `pump` pushes into
// whatever `out` is connected to, as much as it admits, until the array is done
// or the far end stops admitting.
//
// The array (each array, for fromArrays) is the caller's, read in place and
// never written, so a push hands its chunks downstream as stable (see
// EntryFunction in jit/entry.ts): a zip may keep a window on one instead of
// copying it. The array must not change while the source runs, which reading
// it in place already requires.
import { chunk, define, value, type InstanceOf } from '../../engine/definition.js';
import type { Process } from '../../engine/process.js';
import { advance, fromArrays, turn } from './from-arrays.js';
import { manifestOf } from '../manifest/manifest.js';

export const from = define('from', {
  ports: ['out'],
  params: { xs: value<unknown[]>() },
  state: { pos: () => 0 },
})
  .admittance('<out', 'xs.length - pos')
  .flow('<out', chunk((s, dest, offset, n) => {
    const { xs } = s.params;
    const { pos } = s.state;
    const out = dest as unknown[];
    for (let i = 0; i < n; i++) out[offset + i] = xs[pos + i];
    s.state.pos = pos + n;
    if (pos + n >= xs.length) s.end('out');
    return n;
  }));

export type PumpResult = 'done' | 'blocked' | 'cancelled';

/**
 * Elements proposed per round. Bounded chunks keep a slow consumer's latency
 * down, let several sources take turns fairly, and let V8 optimise the fused
 * function through ordinary calls rather than on-stack replacement inside one
 * call over a whole array, whose code was the slower of the two in our
 * experiments on this engine.
 */
export const PUMP_CHUNK = 4096;

/** Pushes one round (at most PUMP_CHUNK elements) downstream. */
export function pumpOnce(s: Process): PumpResult | 'moved' {
  if (fromArrays.is(s)) return pumpArraysOnce(s);
  if (!from.is(s)) throw new TypeError(`${s.label}: only array sources are pumped`);
  const xs = s.params.xs;
  const pos = s.state.pos;
  if (pos >= xs.length) {
    s.end('out');
    return 'done';
  }
  if (s.isEnded('out')) return 'cancelled';
  const k = s.entry('out>', 'admittance').ready()(Math.min(PUMP_CHUNK, xs.length - pos));
  if (k === 0) return s.isEnded('out') ? 'cancelled' : 'blocked';
  s.entry('out>', 'flow').ready()(xs, pos, k, true);
  s.state.pos = pos + k;
  return 'moved';
}

function pumpArraysOnce(s: InstanceOf<typeof fromArrays>): PumpResult | 'moved' {
  if (s.state.left === 0) {
    s.end('out');
    return 'done';
  }
  if (s.isEnded('out')) return 'cancelled';
  const [xs, pos, want] = turn(s, PUMP_CHUNK);
  const k = s.entry('out>', 'admittance').ready()(want);
  if (k === 0) return s.isEnded('out') ? 'cancelled' : 'blocked';
  s.entry('out>', 'flow').ready()(xs, pos, k, true);
  advance(s, k);
  return 'moved';
}

/** Pushes the rest of the array (or arrays) downstream. */
export function pump(s: Process): PumpResult {
  for (;;) {
    const r = pumpOnce(s);
    if (r !== 'moved') return r;
  }
}

/**
 * Pushes several array sources round-robin, one round each in turn, until
 * none can move: a merge sees its inputs interleaved fairly. Returns the
 * sources that were left blocked.
 */
export function pumpAll(sources: readonly Process[]): Process[] {
  let active = [...sources];
  while (active.length > 0) {
    let moved = false;
    const next: Process[] = [];
    for (const s of active) {
      const r = pumpOnce(s);
      if (r === 'moved') {
        moved = true;
        next.push(s);
      } else if (r === 'blocked') {
        next.push(s);
      }
    }
    active = next;
    if (!moved) return active;
  }
  return [];
}

/** The array sources (from, fromArrays) feeding `sink`, found by walking its input ports upstream. */
export function arraySources(sink: Process): Process[] {
  const seen = new Set<Process>();
  const found: Process[] = [];
  const visit = (p: Process): void => {
    if (seen.has(p)) return;
    seen.add(p);
    if (p.def === from || p.def === fromArrays) found.push(p);
    p.ports.forEach((far, n) => {
      if (far !== 0 && p.def.isInput(n)) {
        const up = p.peer(n);
        if (up) visit(up.process);
      }
    });
  };
  visit(sink);
  return found;
}

/** Plain reference implementation, for the equivalence test. */
export const reference = (_: unknown[], { xs }: { xs: unknown[] }): unknown[] => xs.slice();

export const manifest = manifestOf(from, { reference, cases: [{ harness: 'source', params: () => ({ xs: [] }) }] });
