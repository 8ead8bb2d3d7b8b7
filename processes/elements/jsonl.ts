// jsonl: one JSON text per line in, the parsed value out.
//
// Lines are numbered from 1 as they arrive (right after `lines`, that is the
// line number of the file). Blank lines are passed over. A line that is not
// JSON is given to `parse`'s error handling: by default reported and skipped,
// in strict mode a JsonlError that aborts the run. A UTF-8 byte order mark at
// the start of the first line is passed over, as jq does.
import { define, each, value } from '../../engine/definition.js';
import { SKIP } from '../../engine/policy.js';
import { manifestOf, records } from '../manifest/manifest.js';

export class JsonlError extends Error {
  override name = 'JsonlError';
  constructor(readonly line: number, override readonly cause: unknown, readonly text: string) {
    super(`line ${line}: ${(cause as Error).message ?? String(cause)}: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`);
  }
}

export interface JsonlOptions {
  /** Abort the run on a bad line (default: report it and go on). */
  strict?: boolean;
  /** Receives every bad line that is skipped. */
  report?: (error: JsonlError) => void;
}

/** The parse function jsonl calls: a value, or SKIP for a blank or (not strict) bad line. */
export function parser(options: JsonlOptions = {}): (text: string | Uint8Array, line: number) => unknown {
  return (given, line) => {
    let text = typeof given === 'string' ? given : given instanceof Uint8Array ? Buffer.from(given).toString('utf8') : String(given);
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      return JSON.parse(text);
    } catch (cause) {
      if (/^\s*$/.test(text)) return SKIP;
      const error = new JsonlError(line, cause, text);
      if (options.strict) throw error;
      options.report?.(error);
      return SKIP;
    }
  };
}

export const jsonl = define('jsonl', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { parse: value<(text: string | Uint8Array, line: number) => unknown>(), skip: value<unknown>() },
  state: { line: () => 0 },
})
  .flow('>in', each('line++; const v = parse(x, line); if (v !== skip) emit(v);', 'out>'));

/** Plain reference implementation. */
export function reference(xs: string[]): unknown[] {
  return xs.filter((x) => x.trim() !== '').flatMap((x) => {
    try {
      return [JSON.parse(x)];
    } catch {
      return [];
    }
  });
}

export const manifest = manifestOf(jsonl, {
  reference,
  cases: [{ harness: 'chain', input: records, params: () => ({ parse: parser(), skip: SKIP }) }],
  stages: [{
    name: 'jsonl', synopsis: 'jsonl', args: 'none',
    help: [
      'parse each record as JSON; a bad line is reported on',
      'stderr with its line number and skipped (see --strict).',
      'Before filter \'x.f === "s"\' only lines holding "s"',
      '(or an escape) are parsed; a bad one of the others is',
      'not reported',
    ],
    build: (chain, _, c) => chain.jsonl({ strict: c.strict, report: (error) => c.report(`jsonl: ${error.message}`) }),
  }],
});
