// unlines: strings in, bytes out; every element becomes one line ending in "\n".
//
// A chunk of lines is joined and encoded at once (one native call each), and
// the bytes go on through `out>`; what `out` does not admit is kept, and the
// input admits nothing until it is gone (see residual.ts). Elements that are
// not strings are written as String(x) (null and undefined as empty lines).
import { admitWith, chunk, define } from '../engine/definition.js';
import { admitIfFlushed, endWhenFlushedOrCancel, residualState, send } from './residual.js';

/** The bytes of xs[offset, offset + n), one line each. */
export function encodeLines(xs: ArrayLike<unknown>, offset: number, n: number): Buffer {
  const a = Array.isArray(xs) && offset === 0 && n === xs.length ? xs : Array.prototype.slice.call(xs, offset, offset + n);
  return Buffer.from(`${a.join('\n')}\n`, 'utf8');
}

export const unlines = define('unlines', {
  ports: ['in', 'out'],
  inputs: ['in'],
  state: { ...residualState },
  onEnd: endWhenFlushedOrCancel,
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((u, xs, offset, n) => {
    if (n > 0) send(u, encodeLines(xs, offset, n));
    return n;
  }));

/** Plain reference implementation. */
export function reference(xs: unknown[]): string {
  return xs.map((x) => `${x === null || x === undefined ? '' : String(x)}\n`).join('');
}
