// zip(f, bound): pairs the elements written into `left` and `right`, in order,
// and writes f(a, b) to `out`. The faster side waits in a queue of at most
// `bound` elements; at most one side is ever queued. The output ends when either
// input has ended with its queue empty: what the other side still sends could
// never be paired.
//
// A write is a JIT rule: one loop pairs the incoming chunk with what the other
// side has queued, calls f, and continues inline into whatever `out` leads to;
// the rest of the chunk is queued. A queue's slots past its size may still hold
// paired elements until they are overwritten (fewer than twice `bound`).
//
// Queueing borrows instead of copying when it can: if the side's queue is empty
// and the writer promised the chunk stays unchanged until read (`stable`, see
// EntryFunction in jit/entry.ts), the queue becomes a window on the writer's
// array (`leftBorrowed`, with head and size as indices into it). A later write to
// the same side first copies that window into the side's own array (copy on
// write), unless it simply continues the window in the same stable array. Once
// the other side has paired the window away, the queue is its own array again.
import { admitWith, define, jit, value, type Instance, type JitContext } from '../../engine/definition.js';
import type { Process } from '../../engine/process.js';
import { code } from '../../codegen/code.js';
import { admitOut } from '../elements/pull.js';
import { int, manifestOf } from '../manifest/manifest.js';

type Side = 'left' | 'right';
const other = (side: Side): Side => (side === 'left' ? 'right' : 'left');
const head = (side: Side) => (side === 'left' ? 'leftHead' : 'rightHead');
const size = (side: Side) => (side === 'left' ? 'leftSize' : 'rightSize');
const borrowed = (side: Side) => (side === 'left' ? 'leftBorrowed' : 'rightBorrowed');

type Zip = Instance<{ f: (a: unknown, b: unknown) => unknown; bound: number }, {
  left: unknown[]; right: unknown[];
  leftBorrowed: unknown[] | null; rightBorrowed: unknown[] | null;
  leftHead: number; rightHead: number; leftSize: number; rightSize: number;
}>;

function held(z: Zip, side: Side): number {
  return z.state[size(side)] - z.state[head(side)];
}

/** What a side of zip process `z` has queued and not yet paired. */
export function queued(z: Process, side: Side): number {
  if (!zip.is(z)) throw new TypeError(`${z.label}: not a zip`);
  return held(z, side);
}

function admit(z: Zip, side: Side, n: number): number {
  if (z.isEnded('out')) return 0;
  const waiting = held(z, other(side));
  const room = Math.max(0, z.params.bound - held(z, side));
  // With nothing to pair, a side queues no more than `out` could take now: when
  // a copy feeds both sides, the other side pairs this write away in the same
  // flow, with an admittance asked before this write was queued.
  if (waiting === 0) return room === 0 ? 0 : Math.min(n, room, admitOut(z, 'out', Math.min(n, room)));
  const pairs = admitOut(z, 'out', Math.min(n, waiting));
  // Past what the other side has waiting, elements must queue on this side.
  return pairs < waiting ? Math.min(n, pairs) : Math.min(n, pairs + room);
}

function write(side: Side) {
  return (g: JitContext) => {
    const f = g.param('f');
    const mine = g.state(side);
    const myBorrowed = g.state(borrowed(side));
    const myHead = g.state(head(side));
    const mySize = g.state(size(side));
    const theirs = g.state(other(side));
    const theirBorrowed = g.state(borrowed(other(side)));
    const at = g.state(head(other(side)));
    const theirSize = g.state(size(other(side)));
    const queue = g.fresh('queue');
    const i = g.fresh('i');
    const x = g.fresh('x');
    const paired = g.fresh('paired');
    const rest = g.fresh('rest');
    const k = g.fresh('k');
    const pairCode = side === 'left' ? code`${f}(${g.xs}[${g.start} + ${i}], ${queue}[${at} + ${i}])` : code`${f}(${queue}[${at} + ${i}], ${g.xs}[${g.start} + ${i}])`;
    // Queues keep their storage: emptied, only the size goes back to 0, so the
    // next round writes in place instead of growing the array again. A borrowed
    // window moves into our own array first (copy on write), so that what
    // queues behind it needs no second array.
    // A queue that never quite empties would grow its array for ever: once the
    // paired prefix is as long as what waits, what waits moves to the front
    // (each element moves at most once per element paired before it).
    const copy = code`{
if (${myBorrowed} !== null) {
let ${k} = 0;
for (let ${i} = ${myHead}; ${i} < ${mySize}; ${i}++) ${mine}[${k}++] = ${myBorrowed}[${i}];
${myHead} = 0; ${mySize} = ${k}; ${myBorrowed} = null;
} else if (${myHead} > 0 && ${myHead} >= ${mySize} - ${myHead}) {
let ${k} = 0;
for (let ${i} = ${myHead}; ${i} < ${mySize}; ${i}++) ${mine}[${k}++] = ${mine}[${i}];
${myHead} = 0; ${mySize} = ${k};
}
for (let ${i} = ${rest}; ${i} < ${g.end}; ${i}++) ${mine}[${mySize}++] = ${g.xs}[${i}];
}`;
    // Only a chunk that is still the entry's own input can be borrowed: into an
    // empty queue, or to continue the window right where it ends.
    const queueRest = g.stable === undefined ? copy : code`if (${g.stable} === true && ${myHead} === ${mySize}) { ${myBorrowed} = ${g.xs}; ${myHead} = ${rest}; ${mySize} = ${g.end}; }
else if (${g.stable} === true && ${myBorrowed} === ${g.xs} && ${mySize} === ${rest}) ${mySize} = ${g.end};
else ${copy}`;
    return code`const ${queue} = ${theirBorrowed} ?? ${theirs};
const ${paired} = Math.min(${g.end} - ${g.start}, ${theirSize} - ${at});
for (let ${i} = 0; ${i} < ${paired}; ${i}++) {
const ${x} = ${pairCode};
${g.element('out>', x)}
}
${at} += ${paired};
if (${at} === ${theirSize}) { ${theirSize} = 0; ${at} = 0; ${theirBorrowed} = null; }
const ${rest} = ${g.start} + ${paired};
if (${rest} < ${g.end}) {
${queueRest}
}`;
  };
}

function finishIfDone(z: Zip): void {
  for (const side of ['left', 'right'] as const) {
    if (z.isEnded(side) && held(z, side) === 0) {
      z.end('out');
      z.end(other(side));
      return;
    }
  }
}

export const zip = define('zip', {
  ports: ['left', 'right', 'out'],
  inputs: ['left', 'right'],
  params: { f: value<(a: unknown, b: unknown) => unknown>(), bound: value<number>() },
  state: {
    left: (): unknown[] => [], right: (): unknown[] => [],
    leftBorrowed: (): unknown[] | null => null, rightBorrowed: (): unknown[] | null => null,
    leftHead: () => 0, rightHead: () => 0, leftSize: () => 0, rightSize: () => 0,
  },
  counters: ['leftHead', 'rightHead', 'leftSize', 'rightSize'],
  settle: finishIfDone,
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
  .flow('>left', jit(write('left')))
  .admittance('>right', admitWith((z, n) => admit(z, 'right', n)))
  .flow('>right', jit(write('right')));

export const pair = (a: unknown, b: unknown): [unknown, unknown] => [a, b];

/** Plain reference implementation: pairs up to the shorter input. */
export function reference([a, b]: [unknown[], unknown[]], { f }: { f: (a: unknown, b: unknown) => unknown }): unknown[] {
  return Array.from({ length: Math.min(a.length, b.length) }, (_, i) => f(a[i], b[i]));
}

export const manifest = manifestOf(zip, {
  reference,
  cases: [{ harness: 'zip', params: (r) => ({ f: (a: unknown, b: unknown) => Number(a) * 1000 + Number(b), bound: 1 + int(r, 30) }) }],
});
