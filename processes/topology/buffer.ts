// buffer(capacity): a bounded queue and an inlining barrier. Writes into `in`
// are kept (up to capacity) and handed on to `out` as far as it admits; readers
// of `out` take what is kept. Fused chains stop here, so a rewire downstream of
// a buffer invalidates only the chains after it.
import { chunk, define, value, type Instance } from '../../engine/definition.js';
import type { Process } from '../../engine/process.js';
import { fault } from '../../engine/run.js';
import { admitOut } from '../elements/pull.js';
import { int, manifestOf } from '../manifest/manifest.js';

/** A buffer process, as its helpers see it. */
type Held = Instance<{ capacity: number }, { items: unknown[]; head: number; waiting: boolean }>;

function size(b: Held): number {
  return b.state.items.length - b.state.head;
}

/**
 * Moves as much as `out` admits; what is left moves when the far end says it is
 * writable again. Ends `out` once the input has ended and everything is gone.
 */
export function drain(b: Held): void {
  const { items } = b.state;
  const before = size(b);
  while (size(b) > 0 && b.isConnected('out')) {
    const k = admitOut(b, 'out', size(b));
    if (k === 0) break;
    b.entry('out>', 'flow').ready()(items, b.state.head, k);
    consume(b, k);
  }
  if (size(b) < before) b.writableAgain('in');
  if (size(b) === 0 && b.isEnded('in')) b.end('out');
  else if (size(b) > 0 && b.isConnected('out') && !b.isEnded('out') && !b.state.waiting) {
    b.state.waiting = true;
    void b.whenWritableAgain('out').then(() => {
      b.state.waiting = false;
      // Outside any flow call: an error here (user code after the buffer) goes to the run.
      try {
        drain(b);
      } catch (error) {
        fault(b, error);
      }
    });
  }
}

function consume(b: Held, k: number): void {
  const { items } = b.state;
  const head = b.state.head + k;
  if (head === items.length) {
    items.length = 0;
    b.state.head = 0;
  } else if (head > 1024 && head * 2 > items.length) {
    items.splice(0, head);
    b.state.head = 0;
  } else {
    b.state.head = head;
  }
}

export const buffer = define('buffer', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { capacity: value<number>() },
  state: { items: (): unknown[] => [], head: () => 0, waiting: () => false },
  slack: true,
  onEnd: (b, port) => {
    if (port === 'in') drain(b);
    else b.end('in');
  },
})
  .admittance('>in', 'capacity - (items.length - head)')
  .flow('>in', chunk((b, xs, offset, n) => {
    const { items } = b.state;
    for (let i = 0; i < n; i++) items.push(xs[offset + i]);
    drain(b);
    return n;
  }))
  .admittance('<out', 'items.length - head')
  .flow('<out', chunk((b, dest, offset, n) => {
    const { items, head } = b.state;
    for (let i = 0; i < n; i++) (dest as unknown[])[offset + i] = items[head + i];
    consume(b, n);
    if (size(b) === 0 && b.isEnded('in')) b.end('out');
    else b.writableAgain('in');
    return n;
  }));

/** How many elements buffer process `b` holds. */
export function buffered(b: Process): number {
  if (!buffer.is(b)) throw new TypeError(`${b.label}: not a buffer`);
  return size(b);
}

/** Plain reference implementation, for the equivalence test: a buffer changes timing, never data. */
export const reference = (xs: unknown[]): unknown[] => xs.slice();

export const manifest = manifestOf(buffer, { reference, cases: [{ harness: 'element', params: (r) => ({ capacity: 1 + int(r, 50) }) }] });
