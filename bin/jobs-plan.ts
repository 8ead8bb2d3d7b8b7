// Whether `pushback -j N` can run a command in N parts (bin/jobs.ts), and how
// the parts' outputs are merged. A part is a run of the whole pipeline over a
// byte range of the file cut at line boundaries (bin/file-parts.ts), so a stage
// can run in parts only if what it does to the file is what it does to the
// parts one after the other, given a merge that the main thread can do:
//
// - stages that look at one record at a time (grep, filter, map, fields, jsonl,
//   upper, lower, and tr when it leaves newlines alone): the outputs concatenate;
// - count, sum (and grep -c), last: the parts' totals add up;
// - uniq, last: the outputs concatenate, and a line equal to the one before it
//   across a seam is dropped;
// - take N, last: the outputs concatenate and the run stops after N lines.
//
// Anything else (drop, a stage after a total, uniq or take followed by more
// stages, a stage this module does not know) needs the whole stream in one
// place: the command runs on one thread, with a note on stderr.
import { statSync } from 'node:fs';
import { tableOf } from '../processes/bytes/tr.js';
import type { Command, Stage } from './args.js';

/** How the parts' outputs become the output. */
export type Merge =
  /** one after the other */
  | { kind: 'concatenate' }
  /** one after the other, without a line equal to the line before it at a seam */
  | { kind: 'uniq' }
  /** one after the other, the first `lines` lines */
  | { kind: 'take'; lines: number }
  /** each part prints one number; the output is their sum */
  | { kind: 'add' };

export type JobsPlan =
  | { parallel: true; path: string; size: number; merge: Merge }
  /** One thread; the note (if any) says why, on one line. */
  | { parallel: false; note?: string };

/** Stages that look at one record at a time and pass on any number of records for it. */
const RECORDWISE = new Set(['lines', 'grep', 'filter', 'map', 'fields', 'jsonl', 'upper', 'lower', 'tr']);
/** Stages after which a record may hold a newline (a string from an expression or JSON), so that it prints on several lines. */
const MULTILINE = new Set(['map', 'jsonl']);

/** Whether tr leaves the lines as they are: newline stays newline, nothing else becomes one. */
function keepsNewlines(s: Stage): boolean {
  let table: Uint8Array;
  try {
    table = tableOf(s.args[0], s.args[1]);
  } catch {
    return true; // a bad set is reported when the pipeline is built, before any worker starts
  }
  return table.every((to, from) => (from === 0x0a) === (to === 0x0a));
}

/** Why the stages cannot run in parts, or how their outputs merge. */
function mergeOf(stages: Stage[]): Merge | string {
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i];
    const last = i === stages.length - 1;
    const before = stages.slice(0, i);
    if (s.name === 'tr' && !keepsNewlines(s)) return `${s.text} changes where lines end`;
    if (s.name === 'grep' && s.grep?.count) {
      if (!last) return `${s.text} runs in parts only as the last stage`;
      return { kind: 'add' };
    }
    if (RECORDWISE.has(s.name)) continue;
    if (s.name === 'count' || s.name === 'sum' || s.name === 'uniq' || s.name === 'take') {
      if (!last) return `${s.text} runs in parts only as the last stage`;
      if (s.name === 'count' || s.name === 'sum') return { kind: 'add' };
      // The merge works on printed lines: a record must be one line, and equal lines equal records.
      const multiline = before.find((b) => MULTILINE.has(b.name));
      if (multiline) return `${s.text} runs in parts only on lines, not after ${multiline.name}`;
      return s.name === 'uniq' ? { kind: 'uniq' } : { kind: 'take', lines: Number(s.args[0]) };
    }
    return `${s.text} needs the whole stream in one place`;
  }
  return { kind: 'concatenate' };
}

/** Whether `command` runs in `jobs` parts, and how; or the note that says why it does not. */
export function planJobs(command: Command, jobs: number): JobsPlan {
  const { options, files } = command;
  const oneThread = (why: string): JobsPlan => ({ parallel: false, note: `-j ${jobs}: ${why}; running on one thread` });
  if (options.explain) return { parallel: false };
  if (options.sample !== undefined) return oneThread('the built-in sample is read in one piece');
  if (files.length === 0 || files.includes('-')) return oneThread('standard input is read in one piece');
  if (files.length > 1) return oneThread('only a single file is cut into parts');
  for (const flag of ['checkpoint', 'resume', 'inspect', 'graph'] as const) {
    if (options[flag] !== undefined) return oneThread(`--${flag} watches a single pipeline`);
  }
  let size: number;
  try {
    const stat = statSync(files[0]);
    if (!stat.isFile()) return oneThread(`${files[0]} is not a regular file`);
    size = stat.size;
  } catch {
    return { parallel: false }; // the one-thread run reports why the file cannot be read
  }
  const merge = mergeOf(command.stages);
  if (typeof merge === 'string') return oneThread(merge);
  return { parallel: true, path: files[0], size, merge };
}
