// unlines: strings in, bytes out; every element becomes one line ending in "\n".
//
// A chunk of lines is joined and encoded at once (one native call each), and
// the bytes go on through `out>`; what `out` does not admit is kept, and the
// input admits nothing until it is gone (see residual.ts). Byte elements
// (Uint8Array) are written as the bytes they are; other elements that are not
// strings as String(x) (null and undefined as empty lines).
import { admitWith, chunk, define } from '../../engine/definition.js';
import { admitIfFlushed, endWhenFlushedOrCancel, residualState, send } from './residual.js';
import { manifestOf, records } from '../manifest/manifest.js';

/** The bytes of xs[offset, offset + n), one line each. */
export function encodeLines(xs: ArrayLike<unknown>, offset: number, n: number): Buffer {
  const a = Array.isArray(xs) && offset === 0 && n === xs.length ? xs : Array.prototype.slice.call(xs, offset, offset + n);
  for (let i = 0; i < a.length; i++) if (a[i] instanceof Uint8Array) return encodeMixed(a);
  return Buffer.from(`${a.join('\n')}\n`, 'utf8');
}

const NEWLINE = Buffer.from('\n');

/** Lines some of which are bytes: runs of text are joined and encoded at once, bytes copied as they are. */
function encodeMixed(a: unknown[]): Buffer {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i <= a.length; i++) {
    if (i < a.length && !(a[i] instanceof Uint8Array)) continue;
    if (i > from) parts.push(Buffer.from(`${a.slice(from, i).join('\n')}\n`, 'utf8'));
    if (i < a.length) parts.push(a[i] as Uint8Array, NEWLINE);
    from = i + 1;
  }
  return Buffer.concat(parts);
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
  return xs.map((x) => `${x === null || x === undefined ? '' : x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : String(x)}\n`).join('');
}

// A byte flowable reaches the collector byte by byte.
export const manifest = manifestOf(unlines, {
  reference,
  cases: [{ harness: 'chain', input: records, params: () => ({}), expected: (xs) => [...Buffer.from(reference(xs), 'utf8')] }],
});
