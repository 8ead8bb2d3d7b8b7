// grep's patterns. grep takes patterns only, never code (JavaScript predicates
// have a stage of their own, `filter EXPR`):
//
//   PATTERN        a JavaScript regular expression
//   /RE/FLAGS      the same, with JavaScript flags (only valid flags: d i m s u v;
//                  g and y are accepted and ignored); anything else that merely
//                  looks like it, such as /var/log/syslog, is a pattern as a whole
//   -F PATTERN     a fixed string
//   -e PATTERN     one more pattern (also for a pattern that starts with "-")
//   -i -v -x -w    ignore case, keep what does not match, whole line, whole word
//
// A pattern with newlines is one pattern per line, as in GNU grep. A record is
// matched as text: a string as it is, a line that is not UTF-8 as its bytes
// (a fixed string) or as the text they decode to (a regular expression), any
// other value as the JSON it is printed as.
import { record } from '../processes/elements/stringify.js';
import type { GrepOptions } from './args.js';
import { UsageError } from './args.js';
import { printable } from './printable.js';

const REGEX_LITERAL = /^\/(.*)\/([a-z]*)$/s;
const VALID_FLAGS = /^(?!.*(.).*\1)[dgimsuyv]*$/;
const SPECIAL = /[\\^$.*+?()[\]{}|]/;

function escape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

export interface Matcher {
  /** True when the record matches (before -v). */
  test: (x: unknown) => boolean;
  /** The fixed string, when matching is a plain case-sensitive substring search. */
  literal?: string;
  invert: boolean;
}

/** A string's matcher as a JavaScript value; a line kept as bytes is decoded. */
function textOf(x: unknown): string {
  if (typeof x === 'string') return x;
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('utf8');
  return record(x);
}

function compileOne(pattern: string, g: GrepOptions): RegExp | string {
  let source: string;
  let flags = '';
  const literal = g.fixed ? null : REGEX_LITERAL.exec(pattern);
  if (g.fixed) source = escape(pattern);
  else if (literal && VALID_FLAGS.test(literal[2]) && !(literal[2].includes('u') && literal[2].includes('v'))) {
    source = literal[1];
    flags = literal[2].replace(/[gy]/g, '');
  } else source = pattern;
  // A plain string needs no regular expression at all.
  const plain = g.fixed ? pattern : flags === '' && !literal && !SPECIAL.test(pattern) ? pattern : undefined;
  if (plain !== undefined && !g.ignoreCase && !g.wholeLine && !g.word) return plain;
  if (g.ignoreCase && !flags.includes('i')) flags += 'i';
  if (g.wholeLine) source = `^(?:${source})$`;
  else if (g.word) source = `(?<![A-Za-z0-9_])(?:${source})(?![A-Za-z0-9_])`;
  try {
    return new RegExp(source, flags);
  } catch (error) {
    const why = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new UsageError(`grep: ${printable(JSON.stringify(pattern))} is not a valid regular expression: ${why}${g.fixed ? '' : ' (use -F for a fixed string)'}`);
  }
}

export function compileMatcher(g: GrepOptions & { patterns: string[] }): Matcher {
  const parts = g.patterns.flatMap((p) => p.split('\n')).map((p) => compileOne(p, g));
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const needle = parts[0];
    const bytes = Buffer.from(needle, 'utf8');
    const test = (x: unknown): boolean => {
      if (typeof x === 'string') return x.includes(needle);
      if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).includes(bytes);
      return record(x).includes(needle);
    };
    return { test, literal: needle, invert: g.invert };
  }
  if (parts.length === 1) {
    const re = parts[0] as RegExp;
    return { test: (x) => re.test(typeof x === 'string' ? x : textOf(x)), invert: g.invert };
  }
  const test = (x: unknown): boolean => {
    const text = typeof x === 'string' ? x : textOf(x);
    for (const p of parts) if (typeof p === 'string' ? text.includes(p) : p.test(text)) return true;
    return false;
  };
  return { test, invert: g.invert };
}

/** The matcher as grep's predicate (with -v applied). */
export function predicate(m: Matcher): (x: unknown) => boolean {
  const test = m.test;
  return m.invert ? (x) => !test(x) : test;
}
