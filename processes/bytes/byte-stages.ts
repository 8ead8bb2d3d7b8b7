// byteStages(plan): bytes in; lines, and the record stages that can work on
// bytes, in one loop over each chunk. Lines become strings only where a later
// stage needs one, and most lines never become anything at all:
//
//   grep with a fixed string   the chunk is searched with Buffer.indexOf and only
//                              the lines around a match are framed
//   grep with a regex          a line is decoded (latin1 when the chunk is ASCII)
//                              and tested; the bytes go on, not the text
//   count (alone)              the newlines of the chunk are counted
//   any other stage            the lines are framed from the newlines' positions,
//                              found a 64 KiB window at a time (simd.ts)
//   fields LIST                field boundaries are found in the bytes (awk white
//                              space, or the separator's bytes); one field is a
//                              view of the line, several are joined into new bytes
//   sum                        numbers are parsed from the bytes (exactly as
//                              Number() reads them: a plain decimal of at most 15
//                              digits is digits / 10^k, the rest goes to Number)
//   uniq                       the bytes are compared with the last line kept
//   upper, lower               a 256-entry table, on the line's bytes
//   jsonl (first, alone)       each line is numbered and parsed as JSON; with
//                              candidates (a prefilter derived from the filter
//                              after it, bin/json-prefilter.ts) only the lines
//                              that hold one of the candidates' byte strings, or
//                              start with one of their bytes, are decoded and
//                              parsed: the others are counted and passed over
//
// Lines end at "\n", a "\r" before it is dropped, the last line may lack its
// newline (as in lines.ts). What comes out is either the surviving lines as
// bytes (`emit: 'bytes'`, straight to an output: runs of unchanged lines are
// copied as one piece), or as records (`emit: 'records'`: strings, or a Buffer
// for a line that is not UTF-8, as byteLines gives them), or a count or sum
// when the input ends (a number record). A chunk barrier with residual output,
// like lines.ts.
import { isAscii, isUtf8 } from 'node:buffer';
import { bytesHeld, handBack, isFresh } from '../../engine/bytes.js';
import { admitWith, chunk, define, value, type Instance } from '../../engine/definition.js';
import type { Elements } from '../../engine/flowable.js';
import { countNewlines, FixedSearch, NewlineScan, simdAvailable } from './simd.js';
import { NotANumber } from './numbers.js';
import { admitIfFlushed, concatBytes, endWhenFlushed, residualState, send, type ResidualState } from './residual.js';
import { aborted } from '../../engine/run.js';
import { translate, type Case } from './tr.js';

const NL = 10;
const CR = 13;
const QUOTE = 0x22;

export type ByteStage =
  | { kind: 'grep'; invert: boolean; fixed?: Buffer; test?: (text: string) => boolean }
  | { kind: 'fields'; ranges: { from: number; to: number }[]; separator?: Buffer }
  | { kind: 'case'; mode: Case; table: Uint8Array }
  | { kind: 'uniq' };

/**
 * A necessary condition on the bytes of a line for its record to pass the
 * stages after jsonl: a line that meets none of it is not parsed. Line 1 is
 * always a candidate (it may start with a byte order mark).
 */
export interface LineCandidates {
  /** A line that holds any of these byte strings (none holds a newline). */
  holding: Buffer[];
  /** A line whose first byte is one of these. */
  startingWith: number[];
}

/** jsonl as the plan's only stage: the lines parsed as JSON, their values out as records. */
export interface JsonLines {
  /** Parses a line's text (line numbers from 1, for messages); `skip` for a line that gives no record. */
  parse: (text: string | Uint8Array, line: number) => unknown;
  skip: unknown;
  candidates?: LineCandidates;
}

export interface BytePlan {
  stages: ByteStage[];
  /** With no stages, no total and records out: jsonl on the bytes. */
  json?: JsonLines;
  /** A stage that ends the plan with one number when the input ends. */
  total?: 'count' | 'sum';
  emit: 'bytes' | 'records';
  /** Called for a record that sum cannot read (index from 0 in sum's input); throws to abort. */
  notANumber?: (index: number, error: NotANumber) => void;
}

/** What a plan does, for --explain (kinds only, never the user's values). */
export function describePlan(plan: BytePlan): string[] {
  const out: string[] = ['for each chunk of bytes (the carried partial line first):'];
  const first = plan.stages[0];
  if (plan.json) {
    out.push('  frame each line with Buffer.indexOf("\\n") and number it');
    if (plan.json.candidates) {
      out.push(`  jsonl: parse only a line that holds one of ${plan.json.candidates.holding.length} byte strings${plan.json.candidates.startingWith.length > 0 ? ` or starts with one of ${plan.json.candidates.startingWith.length} bytes` : ''}`);
      out.push(`         (each string found once, and again only after a line passes it: the first ${simdAvailable() ? 'with WebAssembly SIMD' : 'with Buffer.indexOf'}),`);
      out.push('         the prefilter of the filter after it; every other line is counted, not decoded');
    } else out.push('  jsonl: decode the line (latin1 when the chunk is ASCII) and parse it');
    out.push('  the value into the records of the chunk');
    return out;
  }
  if (first?.kind === 'grep' && first.fixed && !first.invert) out.push(`  grep: find the fixed string ${simdAvailable() ? 'with WebAssembly SIMD (its first and last bytes 16 positions at a time, processes/bytes/simd.ts)' : 'with Buffer.indexOf'} in the chunk; frame only the line around each match`);
  else if (plan.stages.length === 0 && plan.total === 'count') out.push(`  count the newlines ${simdAvailable() ? '16 bytes at a time (WebAssembly SIMD, processes/bytes/simd.ts)' : 'with Buffer.indexOf'}`);
  else out.push(`  frame each line: ${simdAvailable() ? 'the newlines found 16 bytes at a time, a 64 KiB window at a time (WebAssembly SIMD, processes/bytes/simd.ts)' : 'Buffer.indexOf("\\n")'}`);
  const searched = first?.kind === 'grep' && first.fixed !== undefined && !first.invert;
  for (const s of searched ? plan.stages.slice(1) : plan.stages) {
    if (s.kind === 'grep') out.push(`  grep${s.invert ? ' -v' : ''}: ${s.fixed ? `the fixed string's next place in the chunk (${simdAvailable() && s.fixed.length >= 2 && !plan.stages.some((c) => c.kind === 'case') ? 'WebAssembly SIMD' : 'Buffer.indexOf'}), searched again past it` : 'the regular expression on the line decoded (latin1 when the chunk is ASCII)'}`);
    if (s.kind === 'fields') out.push(`  fields: field boundaries found in the bytes (${s.separator ? 'the separator\'s bytes' : 'awk white space'})${s.ranges.length === 1 && s.ranges[0].from === s.ranges[0].to ? ', the field as a view of the line' : ', the fields joined into new bytes'}`);
    if (s.kind === 'case') out.push(`  ${s.mode}: the line's bytes through a 256-byte table`);
    if (s.kind === 'uniq') out.push('  uniq: the line\'s bytes compared with the last line kept');
  }
  if (plan.total === 'count' && plan.stages.length > 0) out.push('  count: one more');
  else if (plan.total === 'sum') out.push('  sum: the number parsed from the bytes');
  else if (plan.emit === 'bytes') out.push('  copy the line (runs of untouched lines as one piece) to the output chunk');
  else out.push('  the line as a string (or its bytes when not UTF-8) into the records of the chunk');
  return out;
}

interface Line {
  b: Buffer;
  s: number;
  e: number;
  /** True while the line is still the input's bytes, in place. */
  inPlace: boolean;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** A number from bytes, exactly as readNumber (Number of the text) reads it; NaN when it is none. */
export function numberOf(b: Buffer, s: number, e: number): number {
  let i = s;
  let negative = false;
  if (i < e && (b[i] === 45 || b[i] === 43)) negative = b[i++] === 45;
  let m = 0;
  let digits = 0;
  let decimals = 0;
  let dot = false;
  for (; i < e; i++) {
    const c = b[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) decimals++;
    } else if (c === 46 && !dot) {
      dot = true;
    } else break;
  }
  // Plain decimals of at most 15 digits are exact: m and 10^k are exact doubles, and one division rounds once.
  if (i === e && digits > 0 && digits <= 15 && !(dot && decimals === 0) && !(dot && digits === decimals)) {
    const v = decimals === 0 ? m : m / POW10[decimals];
    return negative ? -v : v;
  }
  const text = b.toString('utf8', s, e);
  if (text.trim() === '') return NaN;
  return Number(text);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10;
}

/** The [start, end) of each field of b[s, e), up to field `upTo` (1-based; Infinity for all). */
function fieldBounds(b: Buffer, s: number, e: number, separator: Buffer | undefined, upTo: number, out: number[]): number {
  out.length = 0;
  let n = 0;
  if (!separator) {
    let i = s;
    while (n < upTo) {
      while (i < e && b[i] <= 32 && isSpace(b[i])) i++;
      if (i >= e) break;
      const start = i;
      while (i < e && (b[i] > 32 || !isSpace(b[i]))) i++;
      out.push(start, i);
      n++;
    }
    return n;
  }
  let start = s;
  while (n < upTo) {
    const at = separator.length === 1 ? b.indexOf(separator[0], start) : b.indexOf(separator, start);
    if (at === -1 || at >= e) {
      out.push(start, e);
      n++;
      break;
    }
    out.push(start, at);
    n++;
    start = at + separator.length;
  }
  return n;
}

/** Where the field found by oneField ends. */
let fieldEnd = 0;

/** The start of field k (1-based) of b[s, e), its end in fieldEnd; -1 when the line has fewer fields. */
function oneField(b: Buffer, s: number, e: number, separator: Buffer | undefined, k: number): number {
  let i = s;
  let n = 0;
  if (!separator) {
    for (;;) {
      // Most bytes are above the space: one comparison tells them apart.
      while (i < e) {
        const c = b[i];
        if (c > 32 || (c !== 32 && c !== 9 && c !== 10)) break;
        i++;
      }
      if (i >= e) return -1;
      const start = i;
      while (i < e) {
        const c = b[i];
        if (c <= 32 && (c === 32 || c === 9 || c === 10)) break;
        i++;
      }
      if (++n === k) {
        fieldEnd = i;
        return start;
      }
    }
  }
  for (;;) {
    const at = separator.length === 1 ? b.indexOf(separator[0], i) : b.indexOf(separator, i);
    const end = at === -1 || at >= e ? e : at;
    if (++n === k) {
      fieldEnd = end;
      return i;
    }
    if (end === e) return -1;
    i = end + separator.length;
  }
}

const SPACE = Buffer.from(' ');
const EMPTY = Buffer.alloc(0);

interface Runner {
  /** Runs the line through the stages; false when it is dropped. */
  (line: Line): boolean;
}

/** The byte-stages process, as its helpers see it. */
type ByteStages = Instance<{ plan: BytePlan }, ResidualState & {
  carry: Uint8Array[];
  carryBytes: number;
  total: number;
  seen: number;
  last: Buffer | null;
  work: Work | null;
  lines: number;
}>;

/** The stages after the first fixed-string grep (or all of them) as one function over a line. */
function runner(p: ByteStages, stages: ByteStage[], ascii: () => boolean): Runner {
  const bounds: number[] = [];
  const steps = stages.map((st, index): Runner => {
    switch (st.kind) {
      case 'grep': {
        if (st.fixed) {
          const needle = st.fixed;
          const invert = st.invert;
          // The next match in the buffer is remembered, so lines before it are passed without a search.
          // The search is the SIMD one (Buffer.indexOf of a word looks at most bytes one by one), except
          // after a case stage: that changes lines in place, after the search has copied the bytes ahead.
          const search = stages.some((earlier) => earlier.kind === 'case') ? null : new FixedSearch(needle);
          let searched: Buffer | null = null;
          let next = -1;
          return (l) => {
            if (l.b !== searched || (next !== -1 && next < l.s)) {
              searched = l.b;
              next = search === null ? l.b.indexOf(needle, l.s) : search.indexOf(l.b, l.s);
            }
            return (next !== -1 && next + needle.length <= l.e) !== invert;
          };
        }
        const test = st.test!;
        const invert = st.invert;
        return (l) => test(l.inPlace && ascii() ? l.b.toString('latin1', l.s, l.e) : l.b.toString('utf8', l.s, l.e)) !== invert;
      }
      case 'fields': {
        const { ranges } = st;
        const separator = st.separator;
        const join = separator ?? SPACE;
        const single = ranges.length === 1 && ranges[0].from === ranges[0].to ? ranges[0].from : 0;
        const upTo = ranges.some((r) => r.to === Infinity) ? Infinity : Math.max(...ranges.map((r) => r.to));
        if (single) {
          return (l) => {
            const start = oneField(l.b, l.s, l.e, separator, single);
            if (start === -1) {
              l.s = l.e;
            } else {
              l.s = start;
              l.e = fieldEnd;
            }
            return true;
          };
        }
        return (l) => {
          const n = fieldBounds(l.b, l.s, l.e, separator, upTo, bounds);
          const parts: Uint8Array[] = [];
          for (const { from, to } of ranges) {
            const last = to === Infinity ? n : to;
            for (let f = from; f <= last; f++) {
              if (parts.length > 0) parts.push(join);
              parts.push(f <= n ? l.b.subarray(bounds[2 * f - 2], bounds[2 * f - 1]) : EMPTY);
            }
          }
          const joined = Buffer.concat(parts);
          l.b = joined;
          l.s = 0;
          l.e = joined.length;
          l.inPlace = false;
          return true;
        };
      }
      case 'case': {
        const { table, mode } = st;
        // The chunk is this process's own (see ownChunk), so its lines may change in place;
        // but not when a uniq before holds a view of the last line.
        const copy = stages.slice(0, index).some((earlier) => earlier.kind === 'uniq');
        return (l) => {
          const src = l.b.subarray(l.s, l.e);
          if (!copy) {
            translate(table, mode, src, true);
            return true;
          }
          const dst = translate(table, mode, src, false) as Buffer;
          l.b = dst;
          l.s = 0;
          l.e = dst.length;
          l.inPlace = false;
          return true;
        };
      }
      case 'uniq':
        return (l) => {
          const last = p.state.last;
          const b = l.b.subarray(l.s, l.e);
          if (last !== null && last.equals(b)) return false;
          p.state.last = b;
          return true;
        };
      default:
        throw new TypeError('byteStages: unknown stage');
    }
  });
  if (steps.length === 0) return () => true;
  if (steps.length === 1) return steps[0];
  return (l) => {
    for (let i = 0; i < steps.length; i++) if (!steps[i](l)) return false;
    return true;
  };
}

interface Work {
  /** All the stages. */
  all: Runner;
  /** The stages after a first fixed-string grep that the chunk search has done already. */
  rest: Runner;
  /** Whether lines are ever needed as text (a regex, records out). */
  text: boolean;
  plan: BytePlan;
  /** Output pieces of the chunk (bytes mode) or records (records mode). */
  bytes: Uint8Array[];
  records: unknown[];
  /** Bytes mode: the run of untouched input lines not yet added to `bytes`. */
  runStart: number;
  runEnd: number;
  runBuffer: Buffer | null;
  ascii: boolean;
  line: Line;
  /** Whether a stage keeps a view of a line after the chunk (uniq's last line). */
  keepsLines: boolean;
  /** The search for a first fixed-string grep, done over the chunk before any stage changes it. */
  search?: FixedSearch;
  /** jsonl with candidates: where each of their byte strings is next in the chunk (-1: nowhere after). */
  next: number[];
  /** jsonl with candidates: 1 for each byte a candidate line may start with. */
  starts: Uint8Array;
  /** jsonl with candidates: the search for their first byte string. */
  jsonSearch?: FixedSearch;
  /** The lines of a chunk, found a window at a time (when the stages look at every line). */
  newlines: NewlineScan;
}

function work(p: ByteStages): Work {
  let w = p.state.work;
  if (!w) {
    const plan = p.params.plan;
    const searched = plan.stages[0]?.kind === 'grep' && plan.stages[0].fixed && !plan.stages[0].invert;
    // With candidates few lines are decoded: each is checked for ASCII on its own, not the whole chunk.
    const text = plan.json ? plan.json.candidates === undefined : (plan.emit === 'records' && !plan.total) || plan.stages.some((st) => st.kind === 'grep' && !st.fixed);
    const starts = new Uint8Array(256);
    for (const c of plan.json?.candidates?.startingWith ?? []) starts[c] = 1;
    const self: Work = { all: () => true, rest: () => true, text, plan, bytes: [], records: [], runStart: 0, runEnd: 0, runBuffer: null, ascii: false, line: { b: EMPTY, s: 0, e: 0, inPlace: true }, keepsLines: plan.stages.some((st) => st.kind === 'uniq'), next: [], starts, newlines: new NewlineScan() };
    self.all = runner(p, plan.stages, () => self.ascii);
    self.rest = searched ? runner(p, plan.stages.slice(1), () => self.ascii) : self.all;
    if (searched) self.search = new FixedSearch(plan.stages[0].kind === 'grep' ? plan.stages[0].fixed! : EMPTY);
    const holding = plan.json?.candidates?.holding;
    if (holding && holding.length > 0) self.jsonSearch = new FixedSearch(holding[0], quotedProbe(holding[0]));
    p.state.work = self;
    w = self;
  }
  return w;
}

const NEWLINE = Buffer.from('\n');

function flushRun(w: Work): void {
  if (w.runBuffer && w.runEnd > w.runStart) w.bytes.push(w.runBuffer.subarray(w.runStart, w.runEnd));
  w.runBuffer = null;
}

/** A line that survived every stage: counted, summed, or kept for output. */
function keep(p: ByteStages, w: Work, l: Line, withNewline: boolean): void {
  const plan = w.plan;
  if (plan.total === 'count') {
    p.state.total += 1;
    return;
  }
  if (plan.total === 'sum') {
    const index = p.state.seen;
    p.state.seen = index + 1;
    const v = numberOf(l.b, l.s, l.e);
    if (Number.isNaN(v)) {
      plan.notANumber?.(index, new NotANumber(l.b.toString('utf8', l.s, l.e)));
      return;
    }
    p.state.total += v;
    return;
  }
  if (plan.emit === 'records') {
    w.records.push(w.ascii && l.inPlace ? l.b.toString('latin1', l.s, l.e) : recordOf(l));
    return;
  }
  // Bytes: an untouched line with its own "\n" right after it extends the current run.
  if (l.inPlace && withNewline && l.b[l.e] === NL) {
    if (w.runBuffer === l.b && w.runEnd === l.s) {
      w.runEnd = l.e + 1;
      return;
    }
    flushRun(w);
    w.runBuffer = l.b;
    w.runStart = l.s;
    w.runEnd = l.e + 1;
    return;
  }
  flushRun(w);
  w.bytes.push(l.b.subarray(l.s, l.e), NEWLINE);
}

function recordOf(l: Line): string | Buffer {
  const view = l.b.subarray(l.s, l.e);
  if (isUtf8(view)) return l.b.toString('utf8', l.s, l.e);
  return Buffer.from(view);
}

/** One complete line b[s, e) (e at its "\n", or the end of a last line without one). */
function line(p: ByteStages, w: Work, run: Runner, b: Buffer, s: number, e: number, hasNewline: boolean): void {
  if (w.plan.json) {
    const c = w.plan.json.candidates;
    if (c === undefined || isCandidate(c, w.starts, b, s, e, p.state.lines + 1)) jsonLine(p, w, b, s, e, hasNewline);
    else p.state.lines++;
    return;
  }
  let end = e;
  if (hasNewline && end > s && b[end - 1] === CR) end--;
  // One line object, reused: a line is done with before the next one starts.
  const l = w.line;
  l.b = b;
  l.s = s;
  l.e = end;
  l.inPlace = true;
  if (run(l)) keep(p, w, l, hasNewline && end === e);
}

/** Whether the line b[s, e) (its number given) meets the candidates' condition. */
function isCandidate(c: LineCandidates, starts: Uint8Array, b: Buffer, s: number, e: number, number: number): boolean {
  if (number === 1 || (s < e && starts[b[s]] === 1)) return true;
  for (const needle of c.holding) {
    const at = b.indexOf(needle, s);
    if (at !== -1 && at + needle.length <= e) return true;
  }
  return false;
}

/** For a JSON string "…" searched in JSON text, where quotes are everywhere: probe the first and last bytes inside. */
function quotedProbe(needle: Buffer): [number, number] | undefined {
  const n = needle.length;
  return n >= 3 && needle[0] === QUOTE && needle[n - 1] === QUOTE ? [1, n - 2] : undefined;
}

/** jsonl: the line b[s, e) numbered, parsed, and its value kept. */
function jsonLine(p: ByteStages, w: Work, b: Buffer, s: number, e: number, hasNewline: boolean): void {
  const json = w.plan.json!;
  const number = ++p.state.lines;
  let end = e;
  if (hasNewline && end > s && b[end - 1] === CR) end--;
  if (end === s) return; // a blank line gives no record
  let text: string | Buffer;
  if (w.ascii) text = b.toString('latin1', s, end);
  else {
    const view = b.subarray(s, end);
    text = isAscii(view) ? b.toString('latin1', s, end) : isUtf8(view) ? b.toString('utf8', s, end) : Buffer.from(view);
  }
  let v: unknown;
  try {
    v = json.parse(text, number);
  } catch (error) {
    // A bad line that stops the run (--strict): the records before it still go out, as they would one by one.
    output(p, w, null);
    throw error;
  }
  if (v !== json.skip) w.records.push(v);
}

/**
 * jsonl over the lines of b[s, last]: with candidates, each of their byte
 * strings is searched once and again only after a line has passed its last
 * position, so a line is looked at only for its first byte.
 */
function jsonRegion(p: ByteStages, w: Work, b: Buffer, s: number, last: number): void {
  const c = w.plan.json!.candidates;
  let at = s;
  if (c === undefined) {
    while (at <= last) {
      const nl = b.indexOf(NL, at);
      jsonLine(p, w, b, at, nl, true);
      at = nl + 1;
    }
    return;
  }
  const { holding } = c;
  const { next, starts } = w;
  // The first string is searched with the SIMD kernel (one window of it at a time: only one such search here).
  const search = w.jsonSearch!;
  search.forget();
  const find = (k: number, from: number): number => (k === 0 ? search.indexOf(b, from) : b.indexOf(holding[k], from));
  for (let k = 0; k < holding.length; k++) next[k] = find(k, s);
  while (at <= last) {
    const nl = b.indexOf(NL, at);
    let candidate = starts[b[at]] === 1 || p.state.lines === 0;
    for (let k = 0; k < holding.length; k++) {
      const hit = next[k];
      // A byte string holds no newline: found before this line's end, it is in this line.
      if (hit !== -1 && hit < nl) {
        candidate = true;
        next[k] = find(k, nl + 1);
      }
    }
    if (candidate) jsonLine(p, w, b, at, nl, true);
    else p.state.lines++;
    at = nl + 1;
  }
}

/**
 * The first "\n" at or after `at` (-1 when none). Lines are short: their
 * bytes are looked at one by one first, cheaper than a call of Buffer.indexOf
 * for each of a few tens of thousands of matches.
 */
function newlineFrom(b: Buffer, at: number): number {
  const stop = Math.min(b.length, at + 256);
  for (let i = at; i < stop; i++) if (b[i] === NL) return i;
  return stop === b.length ? -1 : b.indexOf(NL, stop);
}

/** Where the line holding b[at] starts, not before s. */
function lineStartBefore(b: Buffer, at: number, s: number): number {
  const stop = Math.max(s, at - 256);
  for (let i = at - 1; i >= stop; i--) if (b[i] === NL) return i + 1;
  if (stop === s) return s;
  const start = b.lastIndexOf(NL, stop - 1) + 1;
  return start < s ? s : start;
}

/** Lines of b[s, last] where b[last] is the last newline; the fast paths first. */
function region(p: ByteStages, w: Work, b: Buffer, s: number, last: number): void {
  const plan = w.plan;
  if (plan.json) {
    jsonRegion(p, w, b, s, last);
    return;
  }
  const first = plan.stages[0];
  if (plan.stages.length === 0 && plan.total === 'count') {
    p.state.total += countNewlines(b, s, last + 1);
    return;
  }
  if (first?.kind === 'grep' && first.fixed && !first.invert) {
    const needle = first.fixed;
    // grep WORD count: a line with a match is one more, nothing else is needed of it.
    const countsOnly = plan.total === 'count' && plan.stages.length === 1;
    const search = w.search!;
    search.forget();
    let from = s;
    while (from <= last) {
      const hit = search.indexOf(b, from);
      if (hit === -1 || hit > last) return;
      const nl = newlineFrom(b, hit);
      // A match that runs over the newline is not in the line.
      if (hit + needle.length <= nl) {
        if (countsOnly) p.state.total += 1;
        else line(p, w, w.rest, b, lineStartBefore(b, hit, s), nl, true);
      }
      from = nl + 1;
    }
    return;
  }
  let at = s;
  const scan = w.newlines;
  if (scan.available && last - s >= 256) {
    // The newlines a window at a time, from the SIMD kernel: no call into C++ per line.
    const found = scan.found;
    for (let from = s; from <= last; from = scan.scannedTo) {
      const n = scan.scan(b, from, last + 1);
      for (let i = 0; i < n; i++) {
        const nl = from + found[i];
        line(p, w, w.all, b, at, nl, true);
        at = nl + 1;
      }
    }
    return;
  }
  while (at <= last) {
    const nl = b.indexOf(NL, at);
    line(p, w, w.all, b, at, nl, true);
    at = nl + 1;
  }
}

/** The chunk as memory this process may change (its lines are translated in place). */
function ownChunk(bytes: Uint8Array, needsOwn: boolean): Buffer {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return needsOwn && !isFresh(bytes) ? Buffer.from(b) : b;
}

function carry(p: ByteStages, piece: Uint8Array): void {
  if (piece.length === 0) return;
  p.state.carry.push(piece);
  p.state.carryBytes += piece.length;
  bytesHeld(p.io).hold(piece.length);
}

function takeCarry(p: ByteStages): Buffer | null {
  const pieces = p.state.carry;
  if (pieces.length === 0) return null;
  const joined = concatBytes(pieces);
  bytesHeld(p.io).release(p.state.carryBytes);
  p.state.carry = [];
  p.state.carryBytes = 0;
  // A joined carry is new memory; a single piece is a view of an input chunk.
  return pieces.length === 1 ? Buffer.from(joined) : Buffer.from(joined.buffer, joined.byteOffset, joined.byteLength);
}

/**
 * Sends what the chunk gave. True when what was sent holds no view of `input`
 * (counts and sums send nothing, records are strings or copies, several pieces
 * are joined into new memory, and one small piece is copied).
 */
function output(p: ByteStages, w: Work, input: Uint8Array | null): boolean {
  if (w.plan.total) return true;
  if (w.plan.emit === 'records') {
    if (w.records.length > 0) {
      const records = w.records;
      w.records = [];
      send(p, records);
    }
    return true;
  }
  flushRun(w);
  if (w.bytes.length === 0) return true;
  const pieces = w.bytes.length;
  let out = concatBytes(w.bytes);
  w.bytes = [];
  let free = pieces !== 1 || input === null || out.buffer !== input.buffer;
  // A few lines of a large chunk: copying them lets the chunk's memory be read into again.
  if (!free && input !== null && out.length * 8 <= input.length) {
    out = Buffer.from(out);
    free = true;
  }
  send(p, out);
  return free;
}

/** Frames one chunk; true when nothing of its memory is held after (the carried line is a copy). */
function frame(p: ByteStages, bytes: Uint8Array): boolean {
  const w = work(p);
  const needsOwn = w.plan.stages.some((s) => s.kind === 'case');
  const b = ownChunk(bytes, needsOwn);
  const first = b.indexOf(NL);
  if (first === -1) {
    carry(p, b);
    return false;
  }
  const before = takeCarry(p);
  let s = 0;
  if (before) {
    const joined = Buffer.concat([before, b.subarray(0, first + 1)]);
    w.ascii = w.text && isAscii(joined);
    line(p, w, w.all, joined, 0, joined.length - 1, true);
    s = first + 1;
  }
  const last = b.lastIndexOf(NL);
  if (last >= s) {
    w.ascii = w.text && isAscii(b.subarray(s, last));
    region(p, w, b, s, last);
  }
  // The partial line at the end is copied (it is short) unless a view of the chunk is kept anyway.
  const tail = b.subarray(last + 1);
  carry(p, w.keepsLines || tail.length === 0 ? tail : Buffer.from(tail));
  return output(p, w, bytes) && !w.keepsLines;
}

/** The input as byte chunks. */
function chunks(xs: Elements, offset: number, n: number): Uint8Array[] {
  if (xs instanceof Uint8Array) return [xs.subarray(offset, offset + n)];
  const out: Uint8Array[] = [];
  for (let i = offset; i < offset + n; i++) {
    const x = xs[i];
    if (x instanceof Uint8Array) out.push(x);
    else if (typeof x === 'string') out.push(Buffer.from(x, 'utf8'));
    else throw new TypeError(`byteStages: expected bytes or byte chunks, got ${x === null ? 'null' : typeof x}`);
  }
  return out;
}

export const byteStages = define('byteStages', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { plan: value<BytePlan>() },
  state: {
    carry: (): Uint8Array[] => [],
    carryBytes: () => 0,
    total: () => 0,
    seen: () => 0,
    last: (): Buffer | null => null,
    work: (): Work | null => null,
    /** jsonl: the lines seen so far. */
    lines: () => 0,
    ...residualState,
  },
  onEnd: (p, port) => {
    if (port !== 'in') {
      p.end('in');
      return;
    }
    const w = work(p);
    const rest = takeCarry(p);
    // A run that was stopped (an error further on, the output closed) ends the input too: the
    // partial line held then is no last line, and parsing or summing it would report what was never read.
    const stopped = aborted(p) || p.isEnded('out') || !p.isConnected('out');
    if (rest && !stopped) {
      w.ascii = w.text && isAscii(rest);
      line(p, w, w.all, rest, 0, rest.length, false);
      output(p, w, null);
    }
    if (w.plan.total) {
      const total = p.state.total;
      endWhenFlushed(p, w.plan.emit === 'bytes' ? Buffer.from(`${total}\n`) : [total]);
      return;
    }
    endWhenFlushed(p);
  },
})
  .admittance('>in', admitWith(admitIfFlushed))
  .flow('>in', chunk((p, xs, offset, n) => {
    if (xs instanceof Uint8Array) {
      // Nothing of the chunk is kept: its source may read into its memory again.
      if (frame(p, xs.subarray(offset, offset + n))) handBack(xs, p);
      return n;
    }
    for (const c of chunks(xs, offset, n)) frame(p, c);
    return n;
  }));
