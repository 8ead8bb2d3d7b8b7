// The command line's words: options, files and stages, each stage with its
// arguments checked here, so that a mistake is reported against the argument
// that holds it (`fields: "1," is not a list of field numbers`), before
// anything is opened or run.
import { printable } from './printable.js';
import { STAGE_TABLE } from './stages.js';

/** A mistake in the command line itself. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type ErrorPolicyText = 'abort' | 'skip' | { retry: number };

export interface Options {
  explain: boolean;
  progress?: boolean;
  sample?: number;
  onError: ErrorPolicyText;
  strict: boolean;
  help: boolean;
  /** --graph FILE: a picture of the pipeline (.svg or .dot), written when it ends. */
  graph?: string;
  /** --inspect[=PORT]: a live page about the pipeline while it runs (true: a free port). */
  inspect?: string | true;
  /** --checkpoint FILE: a snapshot of the running pipeline every `every` milliseconds (bin/checkpoint.ts). */
  checkpoint?: string;
  /** --every INTERVAL: how often a checkpoint is taken (10s by default). */
  every?: number;
  /** --resume FILE: go on from a checkpoint (bin/checkpoint.ts). */
  resume?: string;
  /** -j N, --jobs N: run a file in N parts on N threads (bin/jobs.ts); 1 by default. */
  jobs?: number;
}

/** grep's options (GNU grep's letters). */
export interface GrepOptions {
  invert: boolean;
  ignoreCase: boolean;
  fixed: boolean;
  wholeLine: boolean;
  word: boolean;
  count: boolean;
}

export interface Stage {
  name: string;
  args: string[];
  /** The stage as typed, for messages (control characters escaped). */
  text: string;
  /** grep: its options and its patterns (one or more, from -e or the argument). */
  grep?: GrepOptions & { patterns: string[] };
}

export interface Command {
  options: Options;
  files: string[];
  stages: Stage[];
}

/** The words that name stages (see stages.ts). */
export const STAGES: ReadonlySet<string> = new Set(STAGE_TABLE.keys());

/** The stage as a shell word, for messages. */
function quote(s: string): string {
  const shown = printable(s);
  return /^[\w./:@%+=,-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`;
}

function policy(value: string): ErrorPolicyText {
  const retry = /^retry:(\d+)$/.exec(value);
  if (retry) return { retry: Number(retry[1]) };
  if (value === 'abort' || value === 'skip') return value;
  throw new UsageError(`--on-error: expected abort, skip or retry:N, got ${printable(JSON.stringify(value))}`);
}

/** An interval such as 10s, 500ms or 2m, in milliseconds. */
function interval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000) : NaN;
  if (!(ms >= 1)) throw new UsageError(`--every: expected an interval such as 10s, 500ms or 2m, got ${printable(JSON.stringify(text))}`);
  return ms;
}

/** The most threads -j may ask for. */
const MAX_JOBS = 256;

/**
 * Parses the option at argv[i]; returns how many words it took (0 if argv[i]
 * is not an option). A value may follow after "=" or as the next word.
 */
function option(argv: string[], i: number, options: Options): number {
  const arg = argv[i];
  if (arg === '-h' || arg === '--help') options.help = true;
  else if (arg === '--explain') options.explain = true;
  else if (arg === '--progress') options.progress = true;
  else if (arg === '--no-progress') options.progress = false;
  else if (arg === '--strict') options.strict = true;
  else if (arg === '--sample' || arg.startsWith('--sample=')) {
    const text = arg.slice('--sample='.length);
    const n = arg === '--sample' ? 10_000 : /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) throw new UsageError(`--sample: expected a number of lines, got ${printable(JSON.stringify(text))}`);
    options.sample = n;
  } else if (arg === '--graph' || arg.startsWith('--graph=')) {
    const path = arg === '--graph' ? argv[i + 1] : arg.slice('--graph='.length);
    if (path === undefined || !/\.(svg|dot)$/i.test(path)) {
      throw new UsageError(`--graph: expected a file name ending in .svg or .dot, got ${path === undefined ? 'nothing' : printable(JSON.stringify(path))}`);
    }
    options.graph = path;
    return arg === '--graph' ? 2 : 1;
  } else if (arg === '--inspect' || arg.startsWith('--inspect=')) {
    const port = arg.slice('--inspect='.length);
    if (arg !== '--inspect' && !(/^\d{1,5}$/.test(port) && Number(port) <= 65535)) {
      throw new UsageError(`--inspect: expected a port number from 0 to 65535, got ${printable(JSON.stringify(port))}`);
    }
    options.inspect = arg === '--inspect' ? true : port;
  } else if (/^--(checkpoint|every|resume)(=|$)/.test(arg)) {
    const [, name, equals] = /^--(checkpoint|every|resume)(=?)/.exec(arg)!;
    const value = equals ? arg.slice(name.length + 3) : argv[i + 1];
    if (value === undefined || value === '') throw new UsageError(`--${name}: missing ${name === 'every' ? 'an interval (10s, 500ms, 2m)' : 'a file name'}`);
    if (name === 'every') options.every = interval(value);
    else options[name as 'checkpoint' | 'resume'] = value;
    return equals ? 1 : 2;
  } else if (/^(-j|--jobs)(=|$)/.test(arg) || /^-j\d/.test(arg)) {
    const [, name, rest] = /^(-j|--jobs)=?(.*)$/.exec(arg)!;
    const separate = rest === '' && !arg.includes('=');
    const value = separate ? argv[i + 1] : rest;
    const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= MAX_JOBS)) throw new UsageError(`${name}: expected a number of threads from 1 to ${MAX_JOBS}, got ${value === undefined ? 'nothing' : printable(JSON.stringify(value))}`);
    options.jobs = n;
    return separate ? 2 : 1;
  } else if (arg.startsWith('--on-error=')) {
    options.onError = policy(arg.slice('--on-error='.length));
  } else if (arg === '--on-error') {
    if (i + 1 >= argv.length) throw new UsageError('--on-error: missing abort, skip or retry:N');
    options.onError = policy(argv[i + 1]);
    return 2;
  } else if (arg.startsWith('-') && arg !== '-') {
    throw new UsageError(`unknown option ${printable(arg)}`);
  } else return 0;
  return 1;
}

const GREP_LETTERS: Record<string, keyof GrepOptions> = { v: 'invert', i: 'ignoreCase', F: 'fixed', x: 'wholeLine', w: 'word', c: 'count' };

/** grep's options and patterns from argv[i]; returns the index after them. */
function grepArgs(argv: string[], i: number, stage: Stage): number {
  const g: GrepOptions & { patterns: string[] } = { invert: false, ignoreCase: false, fixed: false, wholeLine: false, word: false, count: false, patterns: [] };
  for (;;) {
    if (i >= argv.length) {
      if (g.patterns.length > 0) break;
      throw new UsageError('grep: missing a pattern');
    }
    const arg = argv[i];
    if (arg === '--') {
      if (g.patterns.length === 0) {
        if (i + 1 >= argv.length) throw new UsageError('grep: missing a pattern after --');
        g.patterns.push(argv[i + 1]);
        stage.args.push(arg, argv[i + 1]);
        i += 2;
      } else {
        stage.args.push(arg);
        i++;
      }
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') {
      if (g.patterns.length === 0) {
        g.patterns.push(arg);
        stage.args.push(arg);
        i++;
      }
      break;
    }
    // A cluster of letters such as -vi; -e takes the rest of the word or the next word.
    stage.args.push(arg);
    i++;
    for (let k = 1; k < arg.length; k++) {
      const letter = arg[k];
      if (letter === 'e') {
        const rest = arg.slice(k + 1);
        if (rest !== '') g.patterns.push(rest);
        else {
          if (i >= argv.length) throw new UsageError('grep: -e: missing a pattern');
          g.patterns.push(argv[i]);
          stage.args.push(argv[i]);
          i++;
        }
        break;
      }
      const name = GREP_LETTERS[letter];
      if (!name) {
        const hint = /^-\d/.test(arg) ? ` (for a pattern that starts with "-", write grep -e ${quote(arg)} or grep -- ${quote(arg)})` : '';
        throw new UsageError(`grep: unknown option ${printable(arg.startsWith('--') ? arg : `-${letter}`)}${hint}`);
      }
      g[name] = true;
    }
  }
  stage.grep = g;
  return i;
}

/** A field list: numbers and ranges counted from 1 (2  1,3  2-4  5-). */
export const FIELD_LIST = /^\d+(-\d*)?(,\d+(-\d*)?)*$/;

/** Splits the command line into options, files and stages. */
export function parse(argv: string[]): Command {
  const options: Options = { explain: false, onError: 'abort', strict: false, help: false };
  const files: string[] = [];
  const stages: Stage[] = [];
  let i = 0;
  const need = (stage: string, what: string): string => {
    if (i >= argv.length) throw new UsageError(`${stage}: missing ${what}`);
    return argv[i++];
  };
  while (i < argv.length) {
    const arg = argv[i];
    if (!STAGES.has(arg)) {
      const took = option(argv, i, options);
      if (took > 0) {
        i += took;
        continue;
      }
      if (stages.length > 0) throw new UsageError(`unknown stage ${printable(JSON.stringify(arg))} (files come before the stages)`);
      files.push(arg);
      i++;
      continue;
    }
    i++;
    const stage: Stage = { name: arg, args: [], text: '' };
    // What arguments a stage takes is said by its manifest; how they are read is said here.
    switch (STAGE_TABLE.get(arg)!.args) {
      case 'expression':
        stage.args.push(need(arg, 'an expression'));
        break;
      case 'grep':
        i = grepArgs(argv, i, stage);
        break;
      case 'count': {
        const n = need(arg, 'a count');
        if (!/^\d+$/.test(n) || !Number.isSafeInteger(Number(n))) throw new UsageError(`${arg}: expected a whole number, got ${printable(JSON.stringify(n))}`);
        stage.args.push(n);
        break;
      }
      case 'sets':
        stage.args.push(need(arg, 'SET1'), need(arg, 'SET2'));
        break;
      case 'fields':
        if (argv[i] === '-d') {
          i++;
          stage.args.push('-d', need(arg, 'a separator after -d'));
        } else if (argv[i]?.startsWith('-d') && argv[i].length > 2) {
          stage.args.push('-d', argv[i++].slice(2));
        }
        // The next word is the list unless it starts another stage or is an option.
        if (i < argv.length && !STAGES.has(argv[i]) && !argv[i].startsWith('--')) {
          const list = argv[i++];
          if (!FIELD_LIST.test(list)) throw new UsageError(`fields: ${printable(JSON.stringify(list))} is not a list of field numbers (like 2, 1,3, 2-4 or 5-)`);
          stage.args.push(list);
        }
        break;
      case 'none':
        break;
    }
    stage.text = [arg, ...stage.args].map(quote).join(' ');
    stages.push(stage);
  }
  return { options, files, stages };
}
