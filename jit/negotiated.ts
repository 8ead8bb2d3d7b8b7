// Negotiated IO on a process: `admittance(spec, flowable)` says how much could
// move now, `flow(spec, admitted)` commits exactly that. Both run the
// process's compiled entries (jit/entries.ts).
import { FlowError } from '../engine/errors.js';
import type { Elements, Flowable } from '../engine/flowable.js';
import type { Process } from '../engine/process.js';
import { entryOf } from './entries.js';

/** How much of `flowable` could move through `spec` of `p` now. */
export function admittance<X extends Elements>(p: Process, specText: string, flowable: Flowable<X>): Flowable<X> {
  const spec = p.def.spec(specText);
  checkDirection(p, spec.text, spec.direction, flowable);
  return flowable.take(entryOf(p, specText, 'admittance').ready()(flowable.size));
}

/** Commits `admitted` (the result of `admittance`) through `spec` of `p`; returns how much moved. */
export function flow<X extends Elements>(p: Process, specText: string, admitted: Flowable<X>): number {
  const spec = p.def.spec(specText);
  checkDirection(p, spec.text, spec.direction, admitted);
  if (admitted.size === 0) return 0;
  const allowed = entryOf(p, specText, 'admittance').ready()(admitted.size);
  if (allowed < admitted.size) {
    throw new FlowError(`${p.label} ${spec.text}: flow of ${admitted.size} exceeds the admittance of ${allowed}`);
  }
  const moved = entryOf(p, specText, 'flow').ready()(admitted.xs, admitted.offset, admitted.size);
  if (moved !== admitted.size) {
    throw new FlowError(`${p.label} ${spec.text}: committed ${moved} of ${admitted.size} admitted`);
  }
  return admitted.n < 0 ? -moved : moved;
}

/** How much `p` could write through port number `port` now: its far end's admittance for `n`. */
export function writable(p: Process, port: number, n: number): number {
  return entryOf(p, `${p.portName(port)}>`, 'admittance').ready()(n);
}

function checkDirection(p: Process, spec: string, direction: 'write' | 'read', f: Flowable): void {
  if (f.n !== 0 && (f.n > 0) !== (direction === 'write')) {
    throw new FlowError(`${p.label} ${spec}: a ${direction} spec needs a flowable with n ${direction === 'write' ? '> 0' : '< 0'}, got ${f.n}`);
  }
}
