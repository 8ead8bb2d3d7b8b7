// hex: bytes in, their hexadecimal text out, as bytes (two per byte in).
//
// A chunk-level process: it turns a whole chunk at once. It may make more
// output than `out` admits now, so it keeps the rest (see residual.ts) and
// admits nothing until that is gone: it never over-commits.
import { admitWith, chunk, define } from '../../engine/definition.js';
import { admitIfFlushed, endWhenFlushedOrCancel, residualState, send } from '../../processes/bytes/residual.js';
import { bytes, manifestOf } from '../../processes/manifest/manifest.js';

export const hex = define('hex', {
  ports: ['in', 'out'],
  inputs: ['in'],
  state: { ...residualState },
  onEnd: endWhenFlushedOrCancel,
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((p, xs, offset, n) => {
    const chunk = xs instanceof Uint8Array ? xs.subarray(offset, offset + n) : Uint8Array.from(xs.slice(offset, offset + n) as number[]);
    send(p, Buffer.from(Buffer.from(chunk).toString('hex'), 'latin1'));
    return n;
  }));

/** Plain reference implementation: all the bytes at once. */
export function reference(input: number[]): number[] {
  return [...Buffer.from(Buffer.from(input).toString('hex'), 'latin1')];
}

export const manifest = manifestOf(hex, {
  reference,
  cases: [{ harness: 'chain', input: bytes, params: () => ({}) }],
});
