// tr(table): bytes in, bytes out, each byte replaced through a 256-entry table
// (like `tr a-z A-Z`). A chunk-level process: it translates a whole chunk into
// fresh memory and hands it on through `out>`, keeping what is not admitted.
//
// ASCII case mapping, the common case, runs four bytes at a time on 32-bit
// words: for each byte h = b & 0x7f, h + 0x1f has its top bit set when b >= 'a'
// and h + 0x05 when b > 'z'; where b is a lowercase ASCII letter (top bit clear,
// >= 'a', <= 'z') bit 5 is flipped.
import { isFresh } from '../../engine/bytes.js';
import { admitWith, chunk, define, value } from '../../engine/definition.js';
import type { Elements } from '../../engine/flowable.js';
import { admitIfFlushed, endWhenFlushedOrCancel, residualState, send } from './residual.js';
import { flipCase } from './simd.js';
import { bytes, manifestOf } from '../manifest/manifest.js';

export type Case = 'upper' | 'lower';

/** The table of `tr SET1 SET2` for expanded sets (SET2 padded with its last byte, as tr does). */
export function table(from: Uint8Array, to: Uint8Array): Uint8Array {
  if (to.length === 0 && from.length > 0) throw new RangeError('tr: the second set is empty');
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i;
  for (let i = 0; i < from.length; i++) t[from[i]] = to[Math.min(i, to.length - 1)];
  return t;
}

// The sets of `tr SET1 SET2`, read as GNU tr reads them (in the C locale, on
// bytes): characters (as their UTF-8 bytes), ranges (a-z), the escapes \\ \a
// \b \f \n \r \t \v and \NNN (one to three octal digits), and the POSIX
// classes [:alnum:] [:alpha:] [:blank:] [:cntrl:] [:digit:] [:graph:] [:lower:]
// [:print:] [:punct:] [:space:] [:upper:] [:xdigit:]. In SET2 only [:lower:] and
// [:upper:] may appear, opposite the other one in SET1 (case conversion).
// Equivalence classes [=c=] and repeats [c*n] are refused, not misread.

type Token = { kind: 'byte'; value: number; escaped: boolean } | { kind: 'class'; name: string };

const ESCAPES: Record<string, number> = { '\\': 92, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

const CLASSES: Record<string, (c: number) => boolean> = {
  alnum: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  blank: (c) => c === 9 || c === 32,
  cntrl: (c) => c < 32 || c === 127,
  digit: (c) => c >= 48 && c <= 57,
  graph: (c) => c >= 33 && c <= 126,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c <= 126,
  punct: (c) => c >= 33 && c <= 126 && !CLASSES.alnum(c),
  space: (c) => (c >= 9 && c <= 13) || c === 32,
  upper: (c) => c >= 65 && c <= 90,
  xdigit: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function tokens(set: string, which: string): Token[] {
  const b = Buffer.from(set, 'utf8');
  const out: Token[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 92 && i + 1 < b.length) {
      const next = String.fromCharCode(b[i + 1]);
      if (/[0-7]/.test(next)) {
        let k = i + 1;
        let value = 0;
        while (k < b.length && k < i + 4 && b[k] >= 48 && b[k] <= 55 && value * 8 + (b[k] - 48) <= 255) value = value * 8 + (b[k++] - 48);
        out.push({ kind: 'byte', value, escaped: true });
        i = k - 1;
      } else {
        out.push({ kind: 'byte', value: ESCAPES[next] ?? b[i + 1], escaped: true });
        i++;
      }
      continue;
    }
    if (c === 91 && (b[i + 1] === 58 || b[i + 1] === 61)) {
      // [:class:] or [=c=]
      const text = b.toString('latin1', i);
      const m = /^\[:([a-z]+):\]/.exec(text);
      if (b[i + 1] === 61 && /^\[=.+?=\]/s.test(text)) throw new RangeError(`tr: ${which}: equivalence classes such as ${/^\[=.+?=\]/s.exec(text)![0]} are not supported`);
      if (m) {
        if (!CLASSES[m[1]]) throw new RangeError(`tr: ${which}: invalid character class [:${m[1]}:]`);
        out.push({ kind: 'class', name: m[1] });
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === 91 && /^\[(\\?.|[^\]])\*\d*\]/s.test(b.toString('latin1', i))) {
      throw new RangeError(`tr: ${which}: repeats such as ${/^\[(\\?.|[^\]])\*\d*\]/s.exec(b.toString('latin1', i))![0]} are not supported`);
    }
    out.push({ kind: 'byte', value: c, escaped: false });
  }
  return out;
}

export interface ExpandedSet {
  bytes: Uint8Array;
  /** Where each class starts in `bytes`, and which. */
  classes: { at: number; name: string }[];
}

/** Expands a tr set: ranges, escapes and classes (see above). */
export function expandSet(set: string, which = 'SET1'): Uint8Array {
  return expand(set, which).bytes;
}

export function expand(set: string, which = 'SET1'): ExpandedSet {
  const ts = tokens(set, which);
  const out: number[] = [];
  const classes: { at: number; name: string }[] = [];
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t.kind === 'class') {
      classes.push({ at: out.length, name: t.name });
      for (let c = 0; c < 256; c++) if (CLASSES[t.name](c)) out.push(c);
      continue;
    }
    const dash = ts[i + 1];
    const hi = ts[i + 2];
    if (dash?.kind === 'byte' && dash.value === 45 && !dash.escaped && hi?.kind === 'byte') {
      if (hi.value < t.value) throw new RangeError(`tr: ${which}: range ${show(t.value)}-${show(hi.value)} is reversed`);
      for (let c = t.value; c <= hi.value; c++) out.push(c);
      i += 2;
      continue;
    }
    out.push(t.value);
  }
  return { bytes: Uint8Array.from(out), classes };
}

function show(c: number): string {
  return c >= 33 && c <= 126 ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
}

/** The escapes of a tr set in a piece of text (for separators such as `-d '\t'`). */
export function unescape(text: string): string {
  const ts = tokens(text, 'separator');
  const bytes = ts.map((t) => {
    if (t.kind === 'class') throw new RangeError(`[:${t.name}:] is a class, not a separator`);
    return t.value;
  });
  return Buffer.from(bytes).toString('utf8');
}

/** The table of `tr SET1 SET2` from the sets as typed, checking classes as GNU tr does. */
export function tableOf(set1: string, set2: string): Uint8Array {
  const from = expand(set1, 'SET1');
  const to = expand(set2, 'SET2');
  for (const c of to.classes) {
    if (c.name !== 'upper' && c.name !== 'lower') throw new RangeError(`tr: SET2: only [:lower:] and [:upper:] may appear in the second set, not [:${c.name}:]`);
    const opposite = c.name === 'upper' ? 'lower' : 'upper';
    if (!from.classes.some((f) => f.at === c.at && f.name === opposite)) throw new RangeError(`tr: SET2: [:${c.name}:] must stand opposite [:${opposite}:] in the first set`);
  }
  return table(from.bytes, to.bytes);
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
  // Large pieces 16 bytes at a time with WebAssembly SIMD (simd.ts); the rest, or all without it, here.
  let i = flipCase(c === 'upper', src, dst);
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

/** The input as bytes: a byte chunk, an array of byte values, or an array of byte chunks (joined). */
function bytesOf(xs: Elements, offset: number, n: number): Uint8Array {
  if (xs instanceof Uint8Array) return xs.subarray(offset, offset + n);
  const items = xs.slice(offset, offset + n);
  if (items.every((x) => x instanceof Uint8Array)) return Buffer.concat(items as Uint8Array[]);
  return Uint8Array.from(items as number[]);
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
  params: { table: value<Uint8Array>() },
  state: { ...residualState, mode: (p: { table: Uint8Array }) => caseOf(p.table) },
  onEnd: endWhenFlushedOrCancel,
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((p, xs, offset, n) => {
    if (n === 0) return 0;
    const src = bytesOf(xs, offset, n);
    // Memory a reader allocated and handed over is ours to change; anything else is copied.
    send(p, translate(p.params.table, p.state.mode, src, !(xs instanceof Uint8Array) || isFresh(src)));
    return n;
  }));

/** Plain reference implementation. */
export function reference(bytes: number[], { table: t }: { table: Uint8Array }): number[] {
  return bytes.map((b) => t[b]);
}

export const manifest = manifestOf(tr, {
  reference,
  cases: [
    { harness: 'chain', label: 'a-z A-Z', input: bytes, params: () => ({ table: tableOf('a-z', 'A-Z') }) },
    { harness: 'chain', label: 'a-y b-z', input: bytes, params: () => ({ table: tableOf('a-y', 'b-z') }) },
  ],
  stages: [{
    name: 'upper', synopsis: 'upper, lower', args: 'none', help: ['ASCII upper or lower case (other bytes unchanged)'],
    build: (chain, _, c) => chain.map(c.asciiCase('upper')),
  }, {
    name: 'lower', synopsis: 'lower', args: 'none',
    build: (chain, _, c) => chain.map(c.asciiCase('lower')),
  }, {
    name: 'tr', synopsis: 'tr SET1 SET2', args: 'sets',
    help: [
      'translate bytes like GNU tr: ranges (a-z), escapes',
      '(\\n \\t \\\\ \\NNN octal), classes ([:lower:] [:digit:]',
      '...); before any record stage',
    ],
  }],
});
