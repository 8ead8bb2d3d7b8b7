// The `pushback` command line: files (or stdin, or the built-in sample) through
// a pipeline of stages, one record per output line.
//
//   pushback access.log grep /ERROR/ map 'l => l.slice(0, 80)' take 10
//
// User expressions are compiled with `new Function` into ordinary functions and
// handed to the processes as parameters; they never become part of the fused
// chain source. Every failure prints one clear line and exits with status 2; an
// output closed early (`| head -1`) is a clean end with status 0.
import { parseExpressionAt, tokenizer } from 'acorn';
import type { Readable, Writable } from 'node:stream';
import { IO } from '../engine/io.js';
import { checkPolicy, describe, UserCodeError, type ErrorPolicy } from '../engine/policy.js';
import type { Process } from '../engine/process.js';
import { explain } from '../jit/explain.js';
import { sampleChunks } from '../examples/sample.js';
import '../processes/chain-io.js';
import type { Chain, Sink } from '../processes/chain.js';
import { count as countDef } from '../processes/count.js';
import { fold as foldDef } from '../processes/fold.js';
import { JsonlError } from '../processes/jsonl.js';
import { parseFieldList } from '../processes/fields.js';
import { concatReaders, iterableReader, openFile, readableReader, ReadError, type Reader } from '../processes/readers.js';
import { record } from '../processes/stringify.js';
import { tap } from '../processes/tap.js';

export const USAGE = `Usage: pushback [OPTION]... [FILE]... [STAGE]...

Reads the FILEs one after the other (standard input without FILEs or with "-",
the built-in sample log with --sample), splits them into lines and sends the
lines through the STAGEs; every record that comes out is printed on a line of
its own (strings as they are, other values as JSON).

Stages:
  lines                  split into lines ("\\n" or "\\r\\n"); implied before the
                         first record stage
  map EXPR               replace each record x by EXPR: a function such as
                         'l => l.slice(0, 80)' or an expression in x such as
                         'x.toUpperCase()'
  grep [-v] [-i] PATTERN keep the records that match: /regex/flags, a function
                         such as 'x => x.length > 80', or otherwise a regular
                         expression (plain text is matched as it is); -v keeps
                         those that do not match, -i ignores case
  take N                 the first N records, then stop reading
  drop N                 all but the first N records
  count                  the number of records
  sum                    the sum of the records as numbers
  uniq                   drop a record equal to the one just before it
  jsonl                  parse each record as JSON; a bad line is reported on
                         stderr with its line number and skipped (see --strict)
  fields [-d SEP] [LIST] split on white space (like awk) or on SEP; with LIST
                         (1-based numbers and ranges: 2  1,3  2-4  5-) keep
                         those fields, joined by SEP or a space
  upper, lower           ASCII upper or lower case
  tr SET1 SET2           translate bytes like tr(1) (ranges such as a-z);
                         before any record stage

Options:
  --explain              print the fused JavaScript of each flow path and exit
  --progress             show bytes, records/s and ETA on stderr (the default
                         when stderr is a terminal and the input size is known)
  --no-progress          never show progress
  --sample[=LINES]       read a generated sample log (10000 lines by default)
  --on-error=POLICY      when an expression throws: abort (the default), skip
                         (report and drop the record) or retry:N
  --strict               a bad JSON line aborts instead of being skipped
  -h, --help             show this help

Exit status: 0 on success (also when the output is closed early, as by
\`| head -1\`), 2 on any error (a bad stage or expression, an unreadable file,
an expression that throws).

Example:
  pushback --sample grep /ERROR/ map 'l => l.slice(0, 60)' take 5
`;

/** A mistake in the command line itself. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Options {
  explain: boolean;
  progress?: boolean;
  sample?: number;
  onError: ErrorPolicy;
  strict: boolean;
  help: boolean;
}

export interface Stage {
  name: string;
  args: string[];
  /** The stage as typed, for messages. */
  text: string;
}

export interface Command {
  options: Options;
  files: string[];
  stages: Stage[];
}

const BYTE_STAGES = new Set(['tr']);
const STAGES = new Set(['lines', 'map', 'grep', 'take', 'drop', 'count', 'sum', 'uniq', 'jsonl', 'fields', 'upper', 'lower', 'tr']);
const FIELD_LIST = /^\d+(-\d*)?(,\d+(-\d*)?)*$/;

function quote(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Parses a long or short option; false if `arg` is not one. */
function option(arg: string, options: Options): boolean {
  if (arg === '-h' || arg === '--help') options.help = true;
  else if (arg === '--explain') options.explain = true;
  else if (arg === '--progress') options.progress = true;
  else if (arg === '--no-progress') options.progress = false;
  else if (arg === '--strict') options.strict = true;
  else if (arg === '--sample' || arg.startsWith('--sample=')) {
    const n = arg === '--sample' ? 10_000 : Number(arg.slice('--sample='.length));
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--sample: expected a number of lines, got ${JSON.stringify(arg.slice('--sample='.length))}`);
    options.sample = n;
  } else if (arg.startsWith('--on-error=')) {
    const value = arg.slice('--on-error='.length);
    const retry = /^retry:(\d+)$/.exec(value);
    if (retry) options.onError = checkPolicy({ retry: Number(retry[1]) });
    else if (value === 'abort' || value === 'skip') options.onError = value;
    else throw new UsageError(`--on-error: expected abort, skip or retry:N, got ${JSON.stringify(value)}`);
  } else if (arg.startsWith('--')) {
    throw new UsageError(`unknown option ${arg}`);
  } else return false;
  return true;
}

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
      if (option(arg, options)) {
        i++;
        continue;
      }
      if (stages.length > 0) {
        throw new UsageError(`unknown stage ${JSON.stringify(arg)}${arg.startsWith('-') ? '' : ' (files come before the stages)'}`);
      }
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
      files.push(arg);
      i++;
      continue;
    }
    i++;
    const args: string[] = [];
    switch (arg) {
      case 'map':
        args.push(need(arg, 'an expression'));
        break;
      case 'grep':
        while (i < argv.length && /^-[vi]+$/.test(argv[i])) args.push(argv[i++]);
        args.push(need(arg, 'a pattern'));
        break;
      case 'take':
      case 'drop':
        args.push(need(arg, 'a count'));
        break;
      case 'tr':
        args.push(need(arg, 'SET1'), need(arg, 'SET2'));
        break;
      case 'fields':
        if (argv[i] === '-d') {
          i++;
          args.push('-d', need(arg, 'a separator after -d'));
        }
        if (i < argv.length && FIELD_LIST.test(argv[i])) args.push(argv[i++]);
        break;
      default:
        break;
    }
    stages.push({ name: arg, args, text: [arg, ...args].map(quote).join(' ') });
  }
  return { options, files, stages };
}

// ---------------------------------------------------------------- expressions

/**
 * Compiles a user expression into a function: `x => ...` (or any function
 * expression) as it is, anything else as the body of `x => (...)`. The text is
 * parsed first, so it must be exactly one expression; a syntax error names the
 * stage and the column.
 */
export function compileExpression(source: string, stage: string): (...args: unknown[]) => unknown {
  let node: { type: string; end: number };
  try {
    node = parseExpressionAt(source, 0, { ecmaVersion: 'latest' }) as { type: string; end: number };
  } catch (error) {
    const e = error as { message: string; pos?: number };
    throw new UsageError(`${stage}: cannot parse ${JSON.stringify(source)}: ${e.message.replace(/ \(\d+:\d+\)$/, '')} at column ${(e.pos ?? 0) + 1}`);
  }
  if (!onlyComments(source.slice(node.end))) {
    throw new UsageError(`${stage}: unexpected ${JSON.stringify(source.slice(node.end).trim())} after the expression at column ${node.end + 1} of ${JSON.stringify(source)}`);
  }
  const isFunction = node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression';
  let f: unknown;
  try {
    // The newline keeps a trailing // comment from swallowing the parenthesis.
    f = isFunction ? new Function(`"use strict";\nreturn (${source}\n);`)() : new Function('x', `"use strict";\nreturn (${source}\n);`);
  } catch (error) {
    throw new UsageError(`${stage}: ${describe(error)} in ${JSON.stringify(source)}`);
  }
  if (typeof f !== 'function') throw new UsageError(`${stage}: ${JSON.stringify(source)} is not a function`);
  return f as (...args: unknown[]) => unknown;
}

/** True when text holds nothing but white space and comments. */
function onlyComments(text: string): boolean {
  try {
    return tokenizer(text, { ecmaVersion: 'latest' }).getToken().type.label === 'eof';
  } catch {
    return false;
  }
}

const REGEX_LITERAL = /^\/(.*)\/([a-z]*)$/s;

/** grep's argument as a predicate: a regex literal, a function, or a pattern. */
export function compilePredicate(args: string[], stage: string): (x: unknown) => unknown {
  const flags = args.slice(0, -1).join('');
  const pattern = args[args.length - 1];
  const invert = flags.includes('v');
  const ignoreCase = flags.includes('i');
  let p: (x: unknown) => unknown;
  const literal = REGEX_LITERAL.exec(pattern);
  if (literal) {
    let re: RegExp;
    try {
      re = new RegExp(literal[1], (ignoreCase && !literal[2].includes('i') ? `${literal[2]}i` : literal[2]).replace(/[gy]/g, ''));
    } catch (error) {
      throw new UsageError(`${stage}: ${(error as Error).message}`);
    }
    p = (x) => re.test(typeof x === 'string' ? x : record(x));
  } else if (/^\s*(\(|function\b|async\b|[A-Za-z_$][\w$]*\s*=>)/.test(pattern) && looksLikeFunction(pattern)) {
    p = compileExpression(pattern, stage);
  } else if (!ignoreCase && !/[\\^$.*+?()[\]{}|]/.test(pattern)) {
    // Plain text: a substring test, which is what the regular expression would do, only faster.
    p = (x) => (typeof x === 'string' ? x : record(x)).includes(pattern);
  } else {
    let re: RegExp;
    try {
      re = new RegExp(pattern, ignoreCase ? 'i' : '');
    } catch (error) {
      throw new UsageError(`${stage}: ${(error as Error).message}`);
    }
    p = (x) => re.test(typeof x === 'string' ? x : record(x));
  }
  if (!invert) return p;
  const keep = p;
  return (x) => !keep(x);
}

function looksLikeFunction(source: string): boolean {
  try {
    const node = parseExpressionAt(source, 0, { ecmaVersion: 'latest' }) as { type: string };
    return node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression';
  } catch {
    return false;
  }
}

function countArg(stage: Stage): number {
  const text = stage.args[0];
  if (!/^\d+$/.test(text)) throw new UsageError(`${stage.name}: expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

// ---------------------------------------------------------------- the pipeline

export interface Streams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Whether stderr is a terminal (progress is on by default there). */
  stderrIsTTY: boolean;
  /** Use the IO container's stdin/stdout services (the real process streams). */
  services: boolean;
}

interface Built {
  io: IO;
  source: Process;
  reader: Reader;
  sink: Sink<number>;
  /** Process label -> the stage as typed. */
  labels: Map<string, string>;
  counter?: Process;
}

/** The input: files (opened now, so a bad one fails before anything runs), stdin or the sample. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function openInput(io: IO, command: Command, streams: Streams): Promise<Chain<any>> {
  const { options, files } = command;
  if (options.sample !== undefined) {
    if (files.length > 0) throw new UsageError(`unknown stage ${JSON.stringify(files[0])} (--sample reads the built-in sample and takes no files)`);
    return io.read(iterableReader(sampleChunks({ lines: options.sample }), { bytes: true, name: 'sample' }));
  }
  if (files.length === 0 || (files.length === 1 && files[0] === '-')) {
    // Standard input is a service of the container when it is the process's own.
    return streams.services ? io.stdin() : io.read(readableReader(streams.stdin, 'stdin'));
  }
  const readers: Reader[] = [];
  try {
    for (const f of files) readers.push(f === '-' ? readableReader(streams.stdin, 'stdin') : await openFile(f, { sync: true }));
  } catch (error) {
    for (const r of readers) await r.close();
    // A missing "file" named like a word was most likely meant as a stage.
    const missing = files.find((f, i) => i >= readers.length && f !== '-');
    if (error instanceof ReadError && missing && /^[a-z]+$/.test(missing) && (error.cause as { code?: string })?.code === 'ENOENT') {
      throw new UsageError(`${error.message} (and ${JSON.stringify(missing)} is not a stage)`);
    }
    throw error;
  }
  return io.read(readers.length === 1 ? readers[0] : concatReaders(readers));
}

const CASE_STAGES = new Set(['upper', 'lower']);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function build(command: Command, input: Chain<any>, streams: Streams, report: (message: string) => void): Built {
  const { options, stages } = command;
  const labels = new Map<string, string>();
  let chain = input;
  const source = chain.source;
  const reader = source.params.reader as Reader;
  chain.onError(options.onError, (error) => report(`skipped: ${message(error, labels)}`));
  let i = 0;
  // Byte stages at the start work on the bytes themselves.
  for (; i < stages.length && (BYTE_STAGES.has(stages[i].name) || CASE_STAGES.has(stages[i].name)); i++) {
    const s = stages[i];
    if (s.name === 'upper') chain = chain.upper();
    else if (s.name === 'lower') chain = chain.lower();
    else {
      try {
        chain = chain.tr(s.args[0], s.args[1]);
      } catch (error) {
        throw new UsageError(`${s.text}: ${(error as Error).message.replace(/^tr: /, '')}`);
      }
    }
    labels.set(chain.tail.label, s.text);
  }
  let counter: Process | undefined;
  if (i < stages.length) {
    if (stages[i].name === 'lines') i++;
    chain = chain.lines();
    labels.set(chain.tail.label, 'lines');
    const progress = options.progress ?? (streams.stderrIsTTY && reader.size !== undefined);
    if (progress) {
      chain = chain.pipe(tap);
      counter = chain.tail;
    }
    for (; i < stages.length; i++) {
      chain = stage(chain, stages[i], options, report);
      labels.set(chain.tail.label, stages[i].text);
    }
    chain = chain.stringify(record).unlines();
  }
  const sink = streams.services ? chain.toStdout() : chain.toWritable(streams.stdout, { end: false });
  return { io: input.io, source, reader, sink, labels, counter };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function stage(chain: Chain<any>, s: Stage, options: Options, report: (message: string) => void): Chain<any> {
  switch (s.name) {
    case 'lines':
      throw new UsageError('lines: only as the first record stage (the input is split into lines once)');
    case 'tr':
      throw new UsageError(`${s.text}: tr works on bytes; put it before the record stages`);
    case 'map':
      return chain.map(compileExpression(s.args[0], s.text));
    case 'grep':
      return chain.grep(compilePredicate(s.args, s.text));
    case 'take':
      return chain.take(countArg(s));
    case 'drop':
      return chain.drop(countArg(s));
    case 'count':
      return chain.count();
    case 'sum':
      return chain.sum();
    case 'uniq':
      return chain.uniq();
    case 'jsonl':
      return chain.jsonl({ strict: options.strict, report: (error) => report(`jsonl: ${error.message}`) });
    case 'upper':
      return chain.map((x: unknown) => record(x).toUpperCase());
    case 'lower':
      return chain.map((x: unknown) => record(x).toLowerCase());
    case 'fields': {
      const d = s.args[0] === '-d' ? s.args[1] : undefined;
      const list = s.args[0] === '-d' ? s.args[2] : s.args[0];
      if (d === '') throw new UsageError(`${s.text}: the separator is empty`);
      if (list === undefined) return chain.split(d);
      try {
        parseFieldList(list);
      } catch (error) {
        throw new UsageError(`${s.text}: ${(error as Error).message.replace(/^fields: /, '')}`);
      }
      return chain.fields(list, d);
    }
    default:
      throw new UsageError(`unknown stage ${JSON.stringify(s.name)}`);
  }
}

/** An error as one line, naming the stage as it was typed. */
function message(error: unknown, labels: Map<string, string>): string {
  if (error instanceof UserCodeError) {
    const stageText = labels.get(error.process) ?? error.process;
    const attempts = error.attempts > 1 ? ` (after ${error.attempts} attempts)` : '';
    return `${stageText}: record ${error.index + 1}${attempts}: ${describe(error.cause)}`;
  }
  if (error instanceof JsonlError) return `jsonl: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The fused source of every flow path: from the source, and from each process that starts one. */
export function explainPipeline(source: Process): string {
  const parts: string[] = [];
  const names: string[] = [];
  let p: Process | undefined = source;
  const heads: Process[] = [];
  while (p) {
    names.push(p.def.name);
    const rule = p.def.flowRules.get('>in');
    const startsFlow = p === source || rule?.kind === 'chunk' || p.def === countDef || p.def === foldDef;
    if (startsFlow && p.def.portSet.has('out') && p.isConnected('out')) heads.push(p);
    p = p.def.portSet.has('out') ? p.peer('out')?.process : undefined;
  }
  parts.push(`// pushback pipeline: ${names.join(' -> ')}`);
  heads.forEach((h, k) => {
    const when = h.def === countDef || h.def === foldDef ? ' (runs once, when the input ends)' : '';
    parts.push('', `// ---- flow path ${k + 1} of ${heads.length}: from ${h.label}${when}`, explain(h, 'out>'));
  });
  return `${parts.join('\n')}\n`;
}

function progressLine(b: Built, started: number): string {
  const read = b.source.state.read as number;
  const size = b.reader.size;
  const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
  const records = (b.counter?.state.seen as number | undefined) ?? 0;
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  let line = mb(read);
  if (size) line += ` / ${mb(size)} (${Math.floor((100 * read) / size)}%)`;
  line += `  ${records.toLocaleString('en')} records  ${Math.round(records / seconds).toLocaleString('en')} rec/s`;
  if (size && read > 0) line += `  ETA ${Math.max(0, Math.round(((size - read) * seconds) / read))}s`;
  return line;
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: string[], given: Partial<Streams> = {}): Promise<number> {
  const streams: Streams = {
    stdin: given.stdin ?? process.stdin,
    stdout: given.stdout ?? process.stdout,
    stderr: given.stderr ?? process.stderr,
    stderrIsTTY: given.stderrIsTTY ?? (given.stderr === undefined && process.stderr.isTTY === true),
    services: given.services ?? (given.stdout === undefined && given.stdin === undefined),
  };
  const say = (text: string) => streams.stderr.write(`pushback: ${text}\n`);
  let command: Command;
  try {
    command = parse(argv);
  } catch (error) {
    say(`${(error as Error).message}\nTry 'pushback --help' for more information.`);
    return 2;
  }
  if (command.options.help) {
    streams.stdout.write(USAGE);
    return 0;
  }
  const io = new IO();
  let input: Chain<unknown>;
  try {
    input = await openInput(io, command, streams);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ReadError) {
      say(error.message);
      return 2;
    }
    throw error;
  }
  const reader = input.source.params.reader as Reader;
  let built: Built;
  try {
    built = build(command, input, streams, say);
  } catch (error) {
    await reader.close();
    if (error instanceof UsageError) {
      say(`${error.message}\nTry 'pushback --help' for more information.`);
      return 2;
    }
    throw error;
  }
  if (command.options.explain) {
    streams.stdout.write(explainPipeline(built.source));
    await reader.close();
    return 0;
  }
  let timer: NodeJS.Timeout | undefined;
  const progress = built.counter !== undefined || command.options.progress === true;
  if (progress) {
    const started = Date.now();
    timer = setInterval(() => streams.stderr.write(`\r\x1b[K${progressLine(built, started)}`), 250);
    timer.unref();
  }
  try {
    await built.sink.completion();
    return 0;
  } catch (error) {
    say(message(error, built.labels));
    return 2;
  } finally {
    if (timer) {
      clearInterval(timer);
      streams.stderr.write('\r\x1b[K');
    }
    await Promise.race([reader.close(), new Promise((resolve) => setImmediate(resolve))]);
  }
}
