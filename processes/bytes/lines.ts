// lines: bytes in, one string per line out.
//
// A line ends at "\n"; a "\r" just before it is dropped ("\r\n"). A line split
// across chunks is carried over (as bytes, so a UTF-8 character cut in two is
// decoded whole), a last line without a newline comes out when the input ends,
// and a line of any length is carried as a list of pieces and joined once.
// Cutting at a newline never cuts a UTF-8 character, so each region between
// newlines is decoded in one call: as latin1 when it is ASCII (fast), as UTF-8
// otherwise.
//
// The input is a chunk barrier; the lines go on through `out>`, where the
// element rules after it fuse into one loop. What `out` does not admit is kept
// (see residual.ts) and the input admits nothing until it is gone.
//
// Input may also be an array: of byte values, of Uint8Array chunks, or of
// strings (text chunks), which is handy for tests and for `io.from`.
//
// Bytes that are not UTF-8 are decoded as U+FFFD by `lines`; `byteLines` keeps
// each such line as its own bytes instead (a Buffer), so that a line that goes
// through unchanged comes out exactly as it came in. Valid UTF-8 survives the
// trip through a string unchanged, so every other line is still a string.
import { isAscii, isUtf8 } from 'node:buffer';
import { bytesHeld } from '../../engine/bytes.js';
import { admitWith, chunk, define } from '../../engine/definition.js';
import type { Elements } from '../../engine/flowable.js';
import { admitIfFlushed, concatBytes, endWhenFlushed, residualState, send, type Residual, type ResidualState } from './residual.js';
import { manifestOf, textChunks } from '../manifest/manifest.js';

const NL = 10;
const CR = 13;
/** Mixed ASCII/UTF-8 regions are decoded in blocks of about this size, cut at newlines. */
const BLOCK = 8192;

function view(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function decode(b: Buffer, start: number, end: number): string {
  if (end <= start) return '';
  return isAscii(b.subarray(start, end)) ? b.toString('latin1', start, end) : b.toString('utf8', start, end);
}

/** A line that is not UTF-8 kept as a copy of its bytes ("\r" before the newline dropped). */
export type ByteLine = Buffer;

/** One line b[start, end) (no newline in it): a string, or its bytes when they are not UTF-8 and `keep`. */
function line(b: Buffer, start: number, end: number, keep: boolean): string | ByteLine {
  if (end > start && b[end - 1] === CR) end--;
  if (!keep || isUtf8(b.subarray(start, end))) return decode(b, start, end);
  return Buffer.from(b.subarray(start, end));
}

/** The lines of b[start, end) (no final newline in it), one at a time. */
function eachLine(b: Buffer, start: number, end: number, keep: boolean, out: (string | ByteLine)[]): void {
  let s = start;
  for (;;) {
    const nl = b.indexOf(NL, s);
    if (nl === -1 || nl >= end) {
      out.push(line(b, s, end, keep));
      return;
    }
    out.push(line(b, s, nl, keep));
    s = nl + 1;
  }
}

/** The lines of text (no final newline in it), a "\r" before each "\n" dropped. */
function split(text: string): string[] {
  const parts = text.split('\n');
  if (text.indexOf('\r') !== -1) {
    for (let i = 0; i < parts.length; i++) parts[i] = stripCr(parts[i]);
  }
  return parts;
}

/** The lines of b[start, end), where b[end - 1] is a newline. */
function region(b: Buffer, start: number, end: number, keep: boolean): (string | ByteLine)[] {
  if (isAscii(b.subarray(start, end))) return split(b.toString('latin1', start, end - 1));
  const out: (string | ByteLine)[] = [];
  let s = start;
  while (s < end) {
    let e = end;
    if (end - s > BLOCK) {
      e = b.lastIndexOf(NL, s + BLOCK) + 1;
      if (e <= s) e = b.indexOf(NL, s + BLOCK) + 1;
    }
    if (keep && !isUtf8(b.subarray(s, e - 1))) eachLine(b, s, e - 1, keep, out);
    else for (const text of split(decode(b, s, e - 1))) out.push(text);
    s = e;
  }
  return out;
}

/** A line framer: the start of a line that goes on is carried over to the next chunk. */
type Framer = Residual<ResidualState & { carry: Uint8Array[]; carryBytes: number }>;

function carry(l: Framer, piece: Uint8Array): void {
  if (piece.length === 0) return;
  l.state.carry.push(piece);
  l.state.carryBytes += piece.length;
  bytesHeld(l.io).hold(piece.length);
}

function takeCarry(l: Framer): Buffer | null {
  const pieces = l.state.carry;
  if (pieces.length === 0) return null;
  const joined = view(concatBytes(pieces));
  bytesHeld(l.io).release(l.state.carryBytes);
  l.state.carry = [];
  l.state.carryBytes = 0;
  return joined;
}

function stripCr(s: string): string {
  return s.charCodeAt(s.length - 1) === CR ? s.slice(0, -1) : s;
}

/**
 * Frames one chunk of bytes and sends its complete lines: the line completed
 * from the carry first, then the lines of the chunk, as they came out of one
 * split (not copied).
 */
function frame(l: Framer, bytes: Uint8Array, keep: boolean): void {
  const b = view(bytes);
  const end = b.length;
  const first = b.indexOf(NL);
  if (first === -1) {
    // No newline: the whole chunk belongs to a line that goes on.
    carry(l, b);
    return;
  }
  let s = 0;
  const before = takeCarry(l);
  if (before) {
    send(l, [line(view(concatBytes([before, b.subarray(0, first)])), 0, before.length + first, keep)]);
    s = first + 1;
  }
  const last = b.lastIndexOf(NL, end - 1);
  if (last >= s) send(l, region(b, s, last + 1, keep));
  carry(l, b.subarray(last + 1, end));
}

/** The input as byte chunks, whatever form it came in. */
function chunks(xs: Elements, offset: number, n: number): Uint8Array[] {
  if (xs instanceof Uint8Array) return [xs.subarray(offset, offset + n)];
  const out: Uint8Array[] = [];
  let i = offset;
  const end = offset + n;
  while (i < end) {
    const x = xs[i];
    if (typeof x === 'number') {
      let j = i;
      while (j < end && typeof xs[j] === 'number') j++;
      out.push(Uint8Array.from(xs.slice(i, j) as number[]));
      i = j;
      continue;
    }
    if (x instanceof Uint8Array) out.push(x);
    else if (typeof x === 'string') out.push(Buffer.from(x, 'utf8'));
    else throw new TypeError(`lines: expected bytes, byte chunks or strings, got ${x === null ? 'null' : typeof x}`);
    i++;
  }
  return out;
}

function framer(name: string, keep: boolean) {
  return define(name, {
    ports: ['in', 'out'],
    inputs: ['in'],
    state: { carry: (): Uint8Array[] => [], carryBytes: () => 0, ...residualState },
    onEnd: (l, port) => {
      if (port === 'in') {
        const rest = takeCarry(l);
        // The last line lacks its newline, so a "\r" at its end is its own.
        endWhenFlushed(l, rest ? [keep && !isUtf8(rest) ? Buffer.from(rest) : rest.toString('utf8', 0, rest.length)] : undefined);
      } else {
        l.end('in');
      }
    },
  })
    .admittance('>in', admitWith(admitIfFlushed))
    .flow('>in', chunk((l, xs, offset, n) => {
      for (const c of chunks(xs, offset, n)) frame(l, c, keep);
      return n;
    }));
}

/** Lines as strings; bytes that are not UTF-8 become U+FFFD. */
export const lines = framer('lines', false);

/** Lines as strings, but a line that is not UTF-8 as its own bytes (a Buffer). */
export const byteLines = framer('lines', true);

/** Plain reference implementation: the whole text split at once. */
export function reference(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  // "\r" is dropped only where a "\n" follows it.
  return parts.map((s, i) => (i < parts.length - 1 || text.endsWith('\n') ? stripCr(s) : s));
}

export const manifest = manifestOf(lines, {
  reference,
  cases: [{ harness: 'chain', input: textChunks, params: () => ({}), expected: (chunks) => reference(chunks.join('')) }],
  stages: [{
    name: 'lines', synopsis: 'lines', args: 'none',
    help: ['split into lines ("\\n" or "\\r\\n"); implied before the', 'first record stage'],
  }],
});
