// The `pushback` command line: files (or stdin, or the built-in sample) through
// a pipeline of stages, one record per output line.
//
//   pushback access.log grep /ERROR/ map 'l => l.slice(0, 80)' take 10
//
// User expressions are compiled with `new Function` into ordinary functions and
// handed to the processes as parameters; they never become part of the fused
// chain source. Every failure prints one clear line and exits with status 2; an
// output closed early (`| head -1`) is a clean end with status 0.
import type { Readable, Writable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { fstatSync } from 'node:fs';
import { IO } from '../api/io.js';
import { checkPolicy, describe, UserCodeError } from '../engine/policy.js';
import type { Process } from '../engine/process.js';
import { explain } from '../jit/explain.js';
import { sampleChunks } from '../examples/sample.js';
import type { Chain, Sink } from '../api/chain.js';
import { count as countDef } from '../processes/sinks/count.js';
import { fold as foldDef } from '../processes/sinks/fold.js';
import { JsonlError, parser as jsonParser } from '../processes/elements/jsonl.js';
import { SKIP } from '../engine/policy.js';
import { NotANumber } from '../processes/bytes/numbers.js';
import { parseFieldList } from '../processes/elements/fields.js';
import { concatReaders, iterableReader, openFile, readableReader, ReadError, type Reader } from '../processes/sources/readers.js';
import { record } from '../processes/elements/stringify.js';
import { tap } from '../processes/elements/tap.js';
import { tableOf, translate, unescape } from '../processes/bytes/tr.js';
import { byteStages, describePlan, type BytePlan, type LineCandidates } from '../processes/bytes/byte-stages.js';
import { parse, UsageError, type Command, type ErrorPolicyText, type Stage } from './args.js';
import { compileMatcher, predicate } from './patterns.js';
import { printable } from './printable.js';
import { isTerminal, mayBeTerminal } from './terminal.js';
import { STAGE_TABLE } from './stages.js';
import { USAGE } from './usage.js';
import { runParts, type PartOrder } from './job-worker.js';
import type { PartQueue } from './jobs.js';
import type { StageContext } from '../processes/manifest/manifest.js';

export { parse, UsageError, USAGE };
export type { Command, Options, Stage } from './args.js';

/** Compiles user expressions; its module (and the parser) is loaded only when a stage has one. */
type Compile = (source: string, stage: string) => (...args: unknown[]) => unknown;

/** The prefilter of a filter right after jsonl (bin/json-prefilter.ts), loaded with the compiler. */
type Prefilter = (source: string) => LineCandidates | undefined;

/**
 * The functions compiled for the parts a thread of `-j` runs (bin/job-worker.ts),
 * by stage and text. The thread runs the command line once per part, and the
 * fused chain of the pipeline is compiled once and shared by all of them: given
 * a new function for each part, its call site sees one more target each time
 * and V8 stops inlining it (a loop-heavy map ran four times slower from the
 * second part on). One function per expression and thread keeps it as fast as
 * in a single run.
 */
const partFunctions = new Map<string, (...args: unknown[]) => unknown>();

function compiledForParts(compileExpression: Compile, source: string, stage: string): (...args: unknown[]) => unknown {
  const key = `${stage}\0${source}`;
  let f = partFunctions.get(key);
  if (f === undefined) {
    f = compileExpression(source, stage);
    partFunctions.set(key, f);
  }
  return f;
}

// ---------------------------------------------------------------- records

/** A record as text for an expression: a line kept as bytes is decoded (bad bytes as U+FFFD). */
function asText(x: unknown): unknown {
  return x instanceof Uint8Array ? Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('utf8') : x;
}

/** A record as it is printed: bytes as they are, anything else as record() says. */
function printed(x: unknown): string | Uint8Array {
  return x instanceof Uint8Array ? x : record(x);
}

const UPPER = tableOf('a-z', 'A-Z');
const LOWER = tableOf('A-Z', 'a-z');

/** ASCII case of a record: other characters (ß, é) and bytes are left as they are. */
function asciiCase(c: 'upper' | 'lower'): (x: unknown) => unknown {
  const letters = c === 'upper' ? /[a-z]+/g : /[A-Z]+/g;
  const change = c === 'upper' ? (s: string) => s.toUpperCase() : (s: string) => s.toLowerCase();
  const table = c === 'upper' ? UPPER : LOWER;
  return (x) => (x instanceof Uint8Array ? translate(table, c, x) : record(x).replace(letters, change));
}

// ---------------------------------------------------------------- the pipeline

export interface Streams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Whether stderr is a terminal (progress may be shown there). */
  stderrIsTTY: boolean;
  /** Whether stdout is that same terminal (then progress would mix with the output: never shown). */
  stdoutSharesTerminal?: boolean;
  /** Use the IO container's stdin/stdout services (the real process streams). */
  services: boolean;
  /** Read this instead of the FILEs: the part of the file a worker of `-j` runs over (bin/job-worker.ts). */
  input?: Reader;
  /** With `-j`: told what the main thread holds of each part's output (bin/jobs.ts). */
  observeParts?: (queue: PartQueue) => void;
  /** With `-j`: worker threads started before the command line loaded (bin/job-threads.ts); stopped if not needed. */
  jobThreads?: Worker[];
}

interface Built {
  /** Whether progress is shown. */
  progress: boolean;
  io: Chain<unknown>['io'];
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
  if (streams.input !== undefined) return io.read(streams.input, { chunkSize: FILE_CHUNK });
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
  // Large reads: the byte loops are cheap enough per byte that a read per 64 KiB would show.
  return io.read(readers.length === 1 ? readers[0] : concatReaders(readers), { chunkSize: FILE_CHUNK });
}

/** How much a file is read at once. */
const FILE_CHUNK = 1 << 20;
/** How much output may wait for the device. */
const OUTPUT_HIGH_WATER = 2 << 20;

const CASE_STAGES = new Set(['upper', 'lower']);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function build(command: Command, input: Chain<any>, streams: Streams, report: (message: string) => void, compile: Compile | undefined, prefilter?: Prefilter): Built {
  const { options, stages } = command;
  const labels = new Map<string, string>();
  let chain = input;
  const source = chain.source;
  const reader = source.params.reader as Reader;
  const policy = options.onError;
  chain.onError(checkPolicy(policy), (error) => report(`skipped: ${message(error, labels)}`));
  let i = 0;
  // Byte stages at the start work on the bytes themselves.
  for (; i < stages.length && (stages[i].name === 'tr' || CASE_STAGES.has(stages[i].name)); i++) {
    const s = stages[i];
    if (s.name === 'upper') chain = chain.upper();
    else if (s.name === 'lower') chain = chain.lower();
    else {
      try {
        chain = chain.tr(s.args[0], s.args[1]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
    labels.set(chain.tail.label, s.text);
  }
  let counter: Process | undefined;
  const progress = showsProgress(options.progress, streams, reader);
  if (i < stages.length) {
    if (stages[i].name === 'lines') i++;
    // jsonl on the bytes parses a chunk's lines at once; a take after it wants no more lines parsed than it
    // takes (a bad line after them must not be reported, nor stop the run under --strict): records then.
    const jsonOnBytes = stages[i]?.name === 'jsonl' && !stages.slice(i + 1).some((s) => s.name === 'take');
    const plan = jsonOnBytes ? jsonPlan(stages, i, options.strict, report, prefilter) : bytePlan(stages, i, options.onError, labels, report);
    if (plan.taken > 0) {
      // The stages that can work on bytes run in one loop over each chunk.
      chain = chain.pipe(byteStages, { plan: plan.plan });
      labels.set(chain.tail.label, plan.label);
      i += plan.taken;
    } else {
      chain = chain.lines({ keepBytes: true });
      labels.set(chain.tail.label, 'lines');
      if (progress) {
        chain = chain.pipe(tap);
        counter = chain.tail;
      }
    }
    for (; i < stages.length; i++) {
      chain = stage(chain, stages[i], command, report, compile);
      labels.set(chain.tail.label, stages[i].text);
      if (stages[i].grep?.count) {
        chain = chain.count();
        labels.set(chain.tail.label, stages[i].text);
      }
    }
    if (plan.plan.emit === 'records') chain = chain.stringify(printed as (x: unknown) => string).unlines();
  }
  // Room for a few reads' worth of output, so the next chunk is worked on while the last one is written.
  const highWater = OUTPUT_HIGH_WATER;
  const sink = streams.services ? chain.toStdout({ highWater }) : chain.toWritable(streams.stdout, { end: false, highWater });
  return { io: input.io, source, reader, sink, labels, counter, progress };
}

/**
 * The record stages from stages[i] on that can work on bytes: grep, uniq,
 * fields with a list, upper, lower, and a count or sum that ends them. Their
 * plan, how many stages it takes, and how its errors are labelled.
 */
function bytePlan(stages: Stage[], i: number, policy: ErrorPolicyText, labels: Map<string, string>, report: (message: string) => void): { plan: BytePlan; taken: number; label: string } {
  const plan: BytePlan = { stages: [], emit: 'records' };
  const texts: string[] = [];
  let k = i;
  for (; k < stages.length && !plan.total; k++) {
    const s = stages[k];
    if (s.name === 'grep') {
      const m = compileMatcher(s.grep!);
      const test = m.test;
      plan.stages.push(m.literal !== undefined ? { kind: 'grep', invert: m.invert, fixed: Buffer.from(m.literal, 'utf8') } : { kind: 'grep', invert: m.invert, test: (text) => test(text) });
      if (s.grep!.count) plan.total = 'count';
    } else if (s.name === 'uniq') plan.stages.push({ kind: 'uniq' });
    else if (s.name === 'upper' || s.name === 'lower') plan.stages.push({ kind: 'case', mode: s.name, table: s.name === 'upper' ? UPPER : LOWER });
    else if (s.name === 'fields' && (s.args[0] === '-d' ? s.args[2] : s.args[0]) !== undefined) {
      const given = s.args[0] === '-d' ? s.args[1] : undefined;
      const list = s.args[0] === '-d' ? s.args[2] : s.args[0];
      let separator: string | undefined;
      try {
        separator = given === undefined ? undefined : unescape(given);
        plan.stages.push({ kind: 'fields', ranges: parseFieldList(list), separator: separator === undefined || separator === ' ' ? undefined : Buffer.from(separator, 'utf8') });
      } catch (error) {
        throw new UsageError(`fields: ${(error as Error).message.replace(/^(fields|tr): /, '')}`);
      }
      if (separator === '') throw new UsageError('fields: the separator after -d is empty');
    } else if (s.name === 'count') plan.total = 'count';
    else if (s.name === 'sum') plan.total = 'sum';
    else break;
    texts.push(s.text);
  }
  const taken = k - i;
  if (taken > 0 && k === stages.length) plan.emit = 'bytes';
  const label = texts.join(' ');
  const sumText = plan.total === 'sum' ? texts[texts.length - 1] : '';
  plan.notANumber = (index, error) => {
    if (policy === 'skip') report(`skipped: ${sumText}: record ${index + 1}: ${error.message}`);
    else throw new UserCodeError('sum', index, error);
  };
  labels.set('sum', sumText);
  return { plan, taken, label };
}

/**
 * jsonl as the first record stage: framed, numbered and parsed on the bytes.
 * A filter right after it may give a prefilter: lines that cannot give a
 * record it keeps are not parsed. Not with --strict, where every line must be
 * parsed for a bad one to stop the run (without it, a bad line that cannot
 * pass the filter is passed over without a report).
 */
function jsonPlan(stages: Stage[], i: number, strict: boolean | undefined, report: (message: string) => void, prefilter: Prefilter | undefined): { plan: BytePlan; taken: number; label: string } {
  const next = stages[i + 1];
  const candidates = !strict && prefilter !== undefined && next?.name === 'filter' && next.args[0] !== undefined ? prefilter(next.args[0]) : undefined;
  const parse = jsonParser({ strict, report: (error) => report(`jsonl: ${error.message}`) });
  return { plan: { stages: [], emit: 'records', json: { parse, skip: SKIP, candidates } }, taken: 1, label: stages[i].text };
}

/** Progress only on a terminal that is not also showing the output, and by default only when the size is known. */
function showsProgress(asked: boolean | undefined, streams: Streams, reader: Reader): boolean {
  if (asked === false || !streams.stderrIsTTY || streams.stdoutSharesTerminal) return false;
  return asked === true || reader.size !== undefined;
}

/** fields' arguments as its builder takes them: the list ('' for none) and the separator, checked. */
function fieldsArgs(s: Stage): string[] {
  const given = s.args[0] === '-d' ? s.args[1] : undefined;
  const list = s.args[0] === '-d' ? s.args[2] : s.args[0];
  let separator: string | undefined;
  try {
    separator = given === undefined ? undefined : unescape(given);
    if (list !== undefined) parseFieldList(list);
  } catch (error) {
    throw new UsageError(`fields: ${(error as Error).message.replace(/^(fields|tr): /, '')}`);
  }
  if (separator === '') throw new UsageError('fields: the separator after -d is empty');
  return separator === undefined ? [list ?? ''] : [list ?? '', separator];
}

/** Appends a record stage to the chain, as its manifest builds it (see stages.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function stage(chain: Chain<any>, s: Stage, command: Command, report: (message: string) => void, compile: Compile | undefined): Chain<any> {
  if (s.name === 'lines') throw new UsageError('lines: only as the first record stage (the input is split into lines once)');
  const described = STAGE_TABLE.get(s.name);
  if (described?.args === 'sets') throw new UsageError(`${s.text}: ${s.name} works on bytes; put it before the record stages`);
  if (!described?.build) throw new UsageError(`unknown stage ${JSON.stringify(s.name)}`);
  const context: StageContext = {
    compile: (source) => compile!(source, s.text),
    matcher: () => predicate(compileMatcher(s.grep!)),
    text: asText,
    asciiCase,
    strict: command.options.strict,
    report,
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return described.build(chain, described.args === 'fields' ? fieldsArgs(s) : s.args, context) as Chain<any>;
}

/** An error as one line, naming the stage as it was typed. */
function message(error: unknown, labels: Map<string, string>): string {
  if (error instanceof UserCodeError) {
    const stageText = labels.get(error.process) ?? error.process;
    const attempts = error.attempts > 1 ? ` (after ${error.attempts} attempts)` : '';
    const cause = error.cause instanceof NotANumber ? error.cause.message : describe(error.cause);
    return `${stageText}: record ${error.index + 1}${attempts}: ${cause}`;
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
  for (let q: Process | undefined = source; q; q = q.def.portSet.has('out') ? q.peer('out')?.process : undefined) {
    if (q.def === byteStages) parts.push('', `// ---- the byte loop of ${q.label} (hand-written, processes/bytes/byte-stages.ts)`, ...describePlan(q.params.plan as BytePlan).map((l) => `//   ${l}`));
  }
  heads.forEach((h, k) => {
    const when = h.def === countDef || h.def === foldDef ? ' (runs once, when the input ends)' : '';
    parts.push('', `// ---- flow path ${k + 1} of ${heads.length}: from ${h.label}${when}`, explain(h, 'out>'));
  });
  return `${parts.join('\n')}\n`;
}

/** What the progress line says: bytes read so far of `size`, and records when they are counted. */
interface Progress {
  read: number;
  size: number | undefined;
  records?: number;
}

function progressOf(b: Built): Progress {
  return { read: b.source.state.read as number, size: b.reader.size, records: b.counter?.state.seen as number | undefined };
}

function progressLine({ read, size, records }: Progress, started: number): string {
  const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  let line = mb(read);
  if (size) line += ` / ${mb(size)} (${Math.floor((100 * read) / size)}%)`;
  if (records !== undefined) line += `  ${records.toLocaleString('en')} records  ${Math.round(records / seconds).toLocaleString('en')} rec/s`;
  else line += `  ${(read / 1e6 / seconds).toFixed(1)} MB/s`;
  if (size && read > 0) line += `  ETA ${Math.max(0, Math.round(((size - read) * seconds) / read))}s`;
  return line;
}

/** True when file descriptors 1 and 2 are the same character device (the same terminal, if they are one). */
function sameDevice(): boolean {
  if (!mayBeTerminal(1) || !mayBeTerminal(2)) return false;
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    return out.rdev === err.rdev && out.ino === err.ino;
  } catch {
    return true;
  }
}

/** Runs the command line; resolves with the exit status. */
export async function main(argv: string[], given: Partial<Streams> = {}): Promise<number> {
  const real = given.stderr === undefined;
  // The process's own streams are made only when used: making one loads its stream classes.
  const streams: Streams = {
    get stdin() {
      return given.stdin ?? process.stdin;
    },
    get stdout() {
      return given.stdout ?? process.stdout;
    },
    get stderr() {
      return given.stderr ?? process.stderr;
    },
    // For the process's own stderr, a character device is taken for a terminal here, and node:tty
    // confirms it when the first progress line is due (see below): loading node:tty loads node:net
    // and the stream classes, a few ms that a command shorter than a progress tick never needs.
    stderrIsTTY: given.stderrIsTTY ?? (real && mayBeTerminal(2)),
    stdoutSharesTerminal: given.stdoutSharesTerminal ?? (real && given.stdout === undefined && sameDevice()),
    services: given.services ?? (given.stdout === undefined && given.stdin === undefined),
    input: given.input,
  };
  // The progress line, when one is on the terminal, is cleared before anything else is said.
  let progressShown = false;
  const clearProgress = (): void => {
    if (progressShown) streams.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  const say = (text: string, hint = false): void => {
    clearProgress();
    streams.stderr.write(`pushback: ${printable(text)}\n${hint ? "Try 'pushback --help' for more information.\n" : ''}`);
  };
  let command: Command;
  try {
    command = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(error.message, true);
    return 2;
  }
  if (command.options.help) {
    streams.stdout.write(USAGE);
    return 0;
  }
  if (command.options.resume !== undefined || command.options.checkpoint !== undefined) {
    try {
      command = await (await import('./checkpoint.js')).checkpointCommand(command, streams.services);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      say(error.message, error instanceof UsageError);
      return 2;
    }
  }
  let compile: Compile | undefined;
  let prefilter: Prefilter | undefined;
  try {
    if (command.stages.some((s) => s.name === 'map' || s.name === 'filter')) {
      const { compileExpression } = await import('./expressions.js');
      compile = given.input === undefined ? compileExpression : (source, stage) => compiledForParts(compileExpression, source, stage);
    }
    if (command.stages.some((s, k) => s.name === 'jsonl' && command.stages[k + 1]?.name === 'filter')) prefilter = (await import('./json-prefilter.js')).lineCandidates;
    // Patterns are checked before any file is opened.
    for (const s of command.stages) if (s.grep) compileMatcher(s.grep);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(error.message, true);
    return 2;
  }
  // -j N: the file in N parts, each on a thread of its own, when the stages allow it (bin/jobs-plan.ts).
  const jobs = command.options.jobs ?? 1;
  const jobsPlan = jobs > 1 && given.input === undefined ? (await import('./jobs-plan.js')).planJobs(command, jobs) : undefined;
  if (jobsPlan?.parallel === false && jobsPlan.note !== undefined) say(jobsPlan.note);
  // Threads started early for a run that stays on one thread: stopped now, so that they take no core from it.
  if (!jobsPlan?.parallel) for (const w of given.jobThreads ?? []) void w.terminate();
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
    built = build(command, input, streams, (text) => say(text), compile, prefilter);
  } catch (error) {
    await reader.close();
    if (error instanceof UsageError) {
      say(error.message, true);
      return 2;
    }
    throw error;
  }
  if (command.options.explain) {
    streams.stdout.write(explainPipeline(built.source));
    await reader.close();
    return 0;
  }
  /** Shows the progress line every 250 ms from now, once it is confirmed that stderr is a terminal. */
  const showProgress = (now: () => Progress): NodeJS.Timeout => {
    const started = Date.now();
    let confirmed = given.stderrIsTTY !== undefined;
    const timer = setInterval(() => {
      if (!confirmed) {
        confirmed = true;
        if (!isTerminal(2)) {
          clearInterval(timer);
          return;
        }
      }
      streams.stderr.write(`\r\x1b[K${printable(progressLine(now(), started))}`);
      progressShown = true;
    }, 250);
    timer.unref();
    return timer;
  };
  if (jobsPlan?.parallel) {
    // The pipeline was built here only to check it: each worker builds its own from the same words.
    await reader.close();
    // The progress of all the threads: what their readers have read of the file (bin/part-table.ts).
    let read: (() => number) | undefined;
    const timer = built.progress ? showProgress(() => ({ read: read?.() ?? 0, size: jobsPlan.size })) : undefined;
    // The parts' messages come after the progress line is cleared.
    const stderr = {
      write: (text: string): void => {
        clearProgress();
        streams.stderr.write(text);
      },
    };
    try {
      return await (await import('./jobs.js')).runJobs(main, argv, jobsPlan, jobs, {
        stdout: streams.stdout,
        stderr,
        observe: given.observeParts,
        started: given.jobThreads,
        reading: (bytesRead) => (read = bytesRead),
      });
    } finally {
      if (timer) clearInterval(timer);
      clearProgress();
    }
  }
  const timer = built.progress ? showProgress(() => progressOf(built)) : undefined;
  // The inspector (a server, a page, a layout worker) is loaded only when asked for.
  const inspector = command.options.inspect === undefined
    ? undefined
    : await (await import('../inspect/index.js')).inspectFlag(io, command.options.inspect, (line) => streams.stderr.write(`${printable(line)}\n`));
  try {
    if (command.options.checkpoint === undefined) await built.sink.completion();
    else await (await import('./checkpoint.js')).checkpointed(command, argv, built, (text) => say(text));
    return 0;
  } catch (error) {
    say(message(error, built.labels));
    return 2;
  } finally {
    if (timer) clearInterval(timer);
    clearProgress();
    if (command.options.graph !== undefined) await (await import('../inspect/index.js')).graphFlag(built.sink, command.options.graph);
    await inspector?.close();
    await Promise.race([reader.close(), new Promise((resolve) => setImmediate(resolve))]);
  }
}

/**
 * The body of a worker thread of `pushback -j N` (started by bin/job-threads.ts):
 * its order is the first message it gets. The parts are run from within the
 * handler of that message, so that runParts listens to the port before any
 * later message can arrive. (node:worker_threads is loaded here, not at the
 * top: every other command would pay for loading it.)
 */
export async function jobThread(): Promise<void> {
  const { parentPort } = await import('node:worker_threads');
  const port = parentPort!;
  port.once('message', (order: PartOrder) => {
    void runParts(main, order, port);
  });
}
