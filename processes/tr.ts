// tr(table): bytes in, bytes out, each byte replaced through a 256-entry table
// (like `tr a-z A-Z`). A chunk-level process: it translates a whole chunk into
// fresh memory and hands it on through `out>`, keeping what is not admitted.
//
// ASCII case mapping, the common case, runs four bytes at a time on 32-bit
// words: for each byte h = b & 0x7f, h + 0x1f has its top bit set when b >= 'a'
// and h + 0x05 when b > 'z'; where b is a lowercase ASCII letter (top bit clear,
// >= 'a', <= 'z') bit 5 is flipped.
import { isFresh } from '../engine/bytes.js';
import { admitWith, chunk, define } from '../engine/definition.js';
import type { Elements } from '../engine/flowable.js';
import { admitIfFlushed, endWhenFlushedOrCancel, residualState, send } from './residual.js';

export type Case = 'upper' | 'lower';

/** The table of `tr SET1 SET2` for expanded sets (SET2 padded with its last byte, as tr does). */
export function table(from: Uint8Array, to: Uint8Array): Uint8Array {
  if (to.length === 0 && from.length > 0) throw new RangeError('tr: the second set is empty');
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i;
  for (let i = 0; i < from.length; i++) t[from[i]] = to[Math.min(i, to.length - 1)];
  return t;
}

/** Expands a tr set: ranges like a-z and the escapes \n \t \\ \-. */
export function expandSet(set: string): Uint8Array {
  const bytes = [...Buffer.from(set.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '-': '\u0000-' }[c] ?? c)), 'latin1')];
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 45) {
      out.push(45);
      i++;
    } else if (bytes[i + 1] === 45 && i + 2 < bytes.length) {
      const lo = bytes[i];
      const hi = bytes[i + 2];
      if (hi < lo) throw new RangeError(`tr: range ${String.fromCharCode(lo)}-${String.fromCharCode(hi)} is reversed`);
      for (let c = lo; c <= hi; c++) out.push(c);
      i += 2;
    } else {
      out.push(bytes[i]);
    }
  }
  return Uint8Array.from(out);
}

/** Which case mapping `t` is, if it is exactly one. */
export function caseOf(t: Uint8Array): Case | undefined {
  let upper = true;
  let lower = true;
  for (let i = 0; i < 256; i++) {
    if (t[i] !== (i >= 97 && i <= 122 ? i - 32 : i)) upper = false;
    if (t[i] !== (i >= 65 && i <= 90 ? i + 32 : i)) lower = false;
  }
  return upper ? 'upper' : lower ? 'lower' : undefined;
}

function translateTable(t: Uint8Array, src: Uint8Array, dst: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) dst[i] = t[src[i]];
}

/** ASCII case mapping, four bytes per step where both arrays are 4-byte aligned. */
export function translateCase(c: Case, t: Uint8Array, src: Uint8Array, dst: Uint8Array): void {
  const n = src.length;
  let i = 0;
  while (i < n && ((src.byteOffset + i) & 3) !== 0) {
    dst[i] = t[src[i]];
    i++;
  }
  const words = (n - i) >> 2;
  if (words > 0 && ((dst.byteOffset + i) & 3) === 0) {
    const s = new Uint32Array(src.buffer, src.byteOffset + i, words);
    const d = new Uint32Array(dst.buffer, dst.byteOffset + i, words);
    // upper: flip a-z (0x61..0x7a); lower: flip A-Z (0x41..0x5a).
    const ge = c === 'upper' ? 0x1f1f1f1f : 0x3f3f3f3f;
    const gt = c === 'upper' ? 0x05050505 : 0x25252525;
    for (let k = 0; k < words; k++) {
      const w = s[k];
      const h = w & 0x7f7f7f7f;
      const m = (h + ge) & ~(h + gt) & ~w & 0x80808080;
      d[k] = w ^ (m >>> 2);
    }
    i += words * 4;
  }
  translateTable(t, src, dst, i, n);
}

function bytesOf(xs: Elements, offset: number, n: number): Uint8Array {
  if (xs instanceof Uint8Array) return xs.subarray(offset, offset + n);
  return Uint8Array.from(xs.slice(offset, offset + n) as number[]);
}

/** Translates into fresh memory, or in place when `inPlace` (the caller owns src). */
export function translate(t: Uint8Array, c: Case | undefined, src: Uint8Array, inPlace = false): Uint8Array {
  const dst = inPlace ? src : Buffer.allocUnsafe(src.length);
  if (c) translateCase(c, t, src, dst);
  else translateTable(t, src, dst, 0, src.length);
  return dst;
}

export const tr = define('tr', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: ['table'],
  state: { ...residualState, mode: (p) => caseOf(p.table as Uint8Array) },
  onEnd: endWhenFlushedOrCancel,
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((p, xs, offset, n) => {
    if (n === 0) return 0;
    const src = bytesOf(xs, offset, n);
    // Memory a reader allocated and handed over is ours to change; anything else is copied.
    send(p, translate(p.params.table as Uint8Array, p.state.mode as Case | undefined, src, !(xs instanceof Uint8Array) || isFresh(src)));
    return n;
  }));

/** Plain reference implementation. */
export function reference(bytes: number[], { table: t }: { table: Uint8Array }): number[] {
  return bytes.map((b) => t[b]);
}
