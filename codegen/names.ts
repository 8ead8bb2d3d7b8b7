// The fixed names of generated code, in one table: the parameters of every
// generated function, the slot array, and the bounds of the chunk. Everything
// else a generated function names is made per chain (slots `f$0`, locals
// `x3`, state `acc_1`) and checked where it is made.
import { Name } from './code.js';

export const names = {
  /** The slot table a shared function receives on every call (see SlotTable). */
  slots: new Name('$slots'),
  /** Flow entries: (xs, offset, n, stable). */
  xs: new Name('xs'),
  offset: new Name('offset'),
  /** The size of the transfer: a flow's element count, an admittance's request. */
  n: new Name('n'),
  /** The writer's promise that the chunk stays unchanged until read. */
  stable: new Name('stable'),
  /** The bounds of the chunk inside a flow function. */
  start: new Name('start'),
  end: new Name('end'),
  /** The count of pending elements handed to a chunk handler at the end of a flow. */
  pendingCount: new Name('k'),
} as const;
