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
import { isAscii } from 'node:buffer';
import { bytesHeld } from '../engine/bytes.js';
import { admitWith, chunk, define } from '../engine/definition.js';
import type { Elements } from '../engine/flowable.js';
import type { Process } from '../engine/process.js';
import { admitIfFlushed, concatBytes, endWhenFlushed, residualState, send } from './residual.js';

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

/** The lines of text (no final newline in it), a "\r" before each "\n" dropped. */
function split(text: string): string[] {
  const parts = text.split('\n');
  if (text.indexOf('\r') !== -1) {
    for (let i = 0; i < parts.length; i++) parts[i] = stripCr(parts[i]);
  }
  return parts;
}

/** The lines of b[start, end), where b[end - 1] is a newline. */
function region(b: Buffer, start: number, end: number): string[] {
  if (isAscii(b.subarray(start, end))) return split(b.toString('latin1', start, end - 1));
  const out: string[] = [];
  let s = start;
  while (s < end) {
    let e = end;
    if (end - s > BLOCK) {
      e = b.lastIndexOf(NL, s + BLOCK) + 1;
      if (e <= s) e = b.indexOf(NL, s + BLOCK) + 1;
    }
    for (const line of split(decode(b, s, e - 1))) out.push(line);
    s = e;
  }
  return out;
}

function carry(l: Process, piece: Uint8Array): void {
  if (piece.length === 0) return;
  (l.state.carry as Uint8Array[]).push(piece);
  l.state.carryBytes = (l.state.carryBytes as number) + piece.length;
  bytesHeld(l.io).hold(piece.length);
}

function takeCarry(l: Process): Buffer | null {
  const pieces = l.state.carry as Uint8Array[];
  if (pieces.length === 0) return null;
  const joined = view(concatBytes(pieces));
  bytesHeld(l.io).release(l.state.carryBytes as number);
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
function frame(l: Process, bytes: Uint8Array): void {
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
    send(l, [stripCr(decode(view(concatBytes([before, b.subarray(0, first)])), 0, before.length + first))]);
    s = first + 1;
  }
  const last = b.lastIndexOf(NL, end - 1);
  if (last >= s) send(l, region(b, s, last + 1));
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

export const lines = define('lines', {
  ports: ['in', 'out'],
  inputs: ['in'],
  state: { carry: () => [] as Uint8Array[], carryBytes: () => 0, ...residualState },
  onEnd: (l, port) => {
    if (port === 'in') {
      const rest = takeCarry(l);
      endWhenFlushed(l, rest ? [rest.toString('utf8', 0, rest.length)] : undefined);
    } else {
      l.end('in');
    }
  },
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((l, xs, offset, n) => {
    for (const c of chunks(xs, offset, n)) frame(l, c);
    return n;
  }));

/** Plain reference implementation: the whole text split at once. */
export function reference(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  // "\r" is dropped only where a "\n" follows it.
  return parts.map((s, i) => (i < parts.length - 1 || text.endsWith('\n') ? stripCr(s) : s));
}
