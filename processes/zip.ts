// zip(f): pairs the elements written into `left` and `right`, in order, and
// writes f(a, b) (default: the pair [a, b]) to `out`. The faster side waits in
// a queue of at most `bound` elements; at most one side is ever queued. The
// output ends when either input has ended and its queue is empty: what the
// other side still sends could never be paired.
import { admitWith, chunk, define } from '../engine/definition.js';
import type { Process } from '../engine/process.js';
import { admitOut } from './pull.js';

type Side = 'left' | 'right';
const other = (side: Side): Side => (side === 'left' ? 'right' : 'left');
const queue = (z: Process, side: Side) => z.state[side] as unknown[];

function admit(z: Process, side: Side, n: number): number {
  if (z.isEnded('out')) return 0;
  const waiting = queue(z, other(side));
  const pairsOut = admitOut(z, 'out', Math.min(n, Math.max(waiting.length, 1)));
  if (waiting.length > 0) {
    const paired = Math.min(waiting.length, pairsOut);
    // Past what the other side has waiting, elements must queue on this side.
    return paired < waiting.length ? Math.min(n, paired) : Math.min(n, paired + room(z, side));
  }
  return Math.min(n, room(z, side));
}

function room(z: Process, side: Side): number {
  return Math.max(0, (z.params.bound as number) - queue(z, side).length);
}

function write(z: Process, side: Side, xs: ArrayLike<unknown>, offset: number, n: number): number {
  const waiting = queue(z, other(side));
  const paired = Math.min(n, waiting.length);
  if (paired > 0) {
    const f = z.params.f as (a: unknown, b: unknown) => unknown;
    const out = new Array(paired);
    for (let i = 0; i < paired; i++) {
      out[i] = side === 'left' ? f(xs[offset + i], waiting[i]) : f(waiting[i], xs[offset + i]);
    }
    waiting.splice(0, paired);
    z.entry('out>', 'flow').ready()(out, 0, paired);
  }
  const mine = queue(z, side);
  for (let i = paired; i < n; i++) mine.push(xs[offset + i]);
  finishIfDone(z);
  return n;
}

function finishIfDone(z: Process): void {
  for (const side of ['left', 'right'] as const) {
    if (z.isEnded(side) && queue(z, side).length === 0) {
      z.end('out');
      z.end(other(side));
      return;
    }
  }
}

export const zip = define('zip', {
  ports: ['left', 'right', 'out'],
  inputs: ['left', 'right'],
  params: ['f', 'bound'],
  state: { left: () => [] as unknown[], right: () => [] as unknown[] },
  onEnd: (z, port) => {
    if (port === 'out') {
      z.end('left');
      z.end('right');
    } else {
      finishIfDone(z);
    }
  },
})
  .admittance('>left', admitWith((z, n) => admit(z, 'left', n)))
  .flow('>left', chunk((z, xs, offset, n) => write(z, 'left', xs, offset, n)))
  .admittance('>right', admitWith((z, n) => admit(z, 'right', n)))
  .flow('>right', chunk((z, xs, offset, n) => write(z, 'right', xs, offset, n)));

export const pair = (a: unknown, b: unknown): [unknown, unknown] => [a, b];

/** Plain reference implementation: pairs up to the shorter input. */
export function reference([a, b]: [unknown[], unknown[]], { f }: { f: (a: unknown, b: unknown) => unknown }): unknown[] {
  return Array.from({ length: Math.min(a.length, b.length) }, (_, i) => f(a[i], b[i]));
}
