// mapBytes(f): bytes in, bytes out, f applied to whole chunks (Uint8Array ->
// Uint8Array). The chunk sizes are whatever the source delivers, so f must not
// depend on where chunks are cut (a byte-wise transform, a hash update).
// A chunk-level process: what `out` does not admit is kept (see residual.ts).
import { admitWith, chunk, define, mapper } from '../../engine/definition.js';
import { SKIP } from '../../engine/policy.js';
import { admitIfFlushed, endWhenFlushedOrCancel, residualState, send } from './residual.js';
import { bytes, manifestOf } from '../manifest/manifest.js';

export const mapBytes = define('mapBytes', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { f: mapper<(b: Uint8Array) => unknown>() },
  state: { ...residualState },
  onEnd: endWhenFlushedOrCancel,
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((p, xs, offset, n) => {
    if (n === 0) return 0;
    const bytes = xs instanceof Uint8Array ? xs.subarray(offset, offset + n) : Uint8Array.from(xs.slice(offset, offset + n) as number[]);
    const y = p.params.f(bytes);
    if (y === SKIP) return n;
    if (!(y instanceof Uint8Array)) throw new TypeError(`${p.label}: the function must return a Uint8Array, got ${y === null ? 'null' : typeof y}`);
    send(p, y);
    return n;
  }));

/** Plain reference implementation (for one chunk). */
export function reference(bytes: number[], { f }: { f: (b: Uint8Array) => Uint8Array }): number[] {
  return [...f(Uint8Array.from(bytes))];
}

// f must not depend on where chunks are cut: a byte-wise transform.
export const manifest = manifestOf(mapBytes, {
  reference,
  cases: [{ harness: 'chain', input: bytes, params: () => ({ f: (b: Uint8Array) => b.map((x) => x ^ 0x5a) }) }],
});
