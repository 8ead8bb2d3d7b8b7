// --checkpoint FILE [--every 10s] and --resume FILE: a long run that can be
// killed (even with SIGKILL) and resumed, with output byte-identical to a run
// that was never interrupted.
//
// A checkpoint is a snapshot of the whole pipeline (freezer/), taken every
// interval, with the command line's words kept in its header. Standard output
// must be a regular file: the output process's committed length is in the
// snapshot, and on resume the file is cut to it and written on from there, so
// what a killed run wrote after its last checkpoint is written again, once.
// The snapshot file is replaced whole (written aside, then renamed), so a kill
// while one is written leaves the previous one.
//
// On resume the pipeline is built again from the saved words: that gives the
// functions the snapshot could not save (expressions, patterns, error-policy
// guards) under the same process labels, and the restore takes them from it.
import { createWriteStream, fstatSync, ftruncateSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IO } from '../engine/io.js';
import { restore } from '../freezer/restore.js';
import { snapshot } from '../freezer/snapshot.js';
import type { Process } from '../engine/process.js';
import { nodeWriter } from '../processes/sinks/writers.js';
import type { Reader } from '../processes/sources/readers.js';
import { readSnapshot } from '../freezer/read.js';
import { parse, UsageError, type Command } from './args.js';

const DEFAULT_EVERY = 10_000;

interface Application {
  argv: string[];
}

/** The words of a resumed command, as its checkpoint kept them (its next checkpoints keep them again). */
const savedWords = new WeakMap<Command, string[]>();

/**
 * The command to run with checkpoints: the one given, or with --resume the one
 * its checkpoint was taken of. Both need the process's own standard output
 * (`ownStdout`): its file is what is cut on resume.
 */
export async function checkpointCommand(command: Command, ownStdout: boolean): Promise<Command> {
  if (!ownStdout) throw new UsageError("--checkpoint and --resume need the process's own standard output");
  return command.options.resume === undefined ? command : resumedCommand(command.options.resume);
}

/** The command a checkpoint was taken of, to be resumed from `file`. */
async function resumedCommand(file: string): Promise<Command> {
  const { header } = await readSnapshot(file);
  const argv = (header.application as Application | undefined)?.argv;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new UsageError(`--resume: ${file} is not a checkpoint of the command line`);
  const command = parse(argv);
  savedWords.set(command, argv);
  command.options.resume = file;
  command.options.checkpoint ??= file;
  return command;
}

/** Refuses to checkpoint unless standard output is a regular file. */
function outputFile(flag: string): number {
  const stat = fstatSync(1);
  if (!stat.isFile()) throw new UsageError(`${flag}: standard output must be a file (> out.txt), so that its committed length can be kept`);
  return stat.size;
}

export interface Pipeline {
  io: IO;
  reader: Reader;
  completion(): Promise<unknown>;
}

/** Every parameter of the pipeline's processes by `label.param`: what a restore takes again. */
function paramsOf(io: IO): { functions: Record<string, (...args: never[]) => unknown>; resources: Record<string, unknown> } {
  const functions: Record<string, (...args: never[]) => unknown> = {};
  const resources: Record<string, unknown> = {};
  for (const p of io.processes()) {
    for (const [name, value] of Object.entries(p.params)) {
      if (typeof value === 'function') functions[`${p.label}.${name}`] = value as (...args: never[]) => unknown;
      else resources[`${p.label}.${name}`] = value;
    }
  }
  return { functions, resources };
}

/**
 * Resumes the checkpoint `file` with `built` (the pipeline built again from
 * its words, not started): standard output is cut to the committed length and
 * written on from there.
 */
export async function resume(file: string, built: Pipeline): Promise<Pipeline> {
  const { graph } = await readSnapshot(file);
  const out = graph.processes.find((p) => p.definition === 'output' && p.params.writer?.kind === 'gone');
  if (out === undefined) throw new UsageError(`--resume: ${file} holds no output to standard output`);
  const committed = out.state.written as number;
  const size = outputFile('--resume');
  if (size < committed) {
    throw new UsageError(`--resume: standard output holds ${size} bytes, fewer than the ${committed} the checkpoint committed (append to the same file: >> out.txt)`);
  }
  ftruncateSync(1, committed);
  const { functions, resources } = paramsOf(built.io);
  const label = `${out.step ?? 'output'}#${out.index}`;
  // Positional writes from the committed length: right whether the shell opened the file to append or not.
  resources[`${label}.writer`] = nodeWriter(createWriteStream('', { fd: 1, start: committed, autoClose: false }), { end: false, name: 'stdout' });
  await built.reader.close();
  const restored = await restore(file, { functions, resources });
  const reader = [...restored.processes.values()].find((p: Process) => p.def.name === 'input')?.params.reader as Reader;
  return { io: restored.io, reader, completion: () => restored.completion() };
}

/** Runs `pipeline` to its end, writing a checkpoint to `file` every interval; removes it once the run is complete. */
export async function runCheckpointed(pipeline: Pipeline, command: Command, argv: readonly string[], report: (text: string) => void): Promise<void> {
  const file = command.options.checkpoint!;
  outputFile('--checkpoint');
  const every = command.options.every ?? DEFAULT_EVERY;
  const kept = savedWords.get(command) ?? argv.filter((_, i) => !isResumeWord(argv, i));
  let taking: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    // A checkpoint that fails is reported; the run goes on, and the previous checkpoint stays.
    taking ??= snapshot(pipeline.io, file, { application: { argv: kept } })
      .catch((error: unknown) => report(`checkpoint ${file} not written: ${(error as Error).message}`))
      .finally(() => (taking = undefined));
  }, every);
  try {
    await pipeline.completion();
  } finally {
    clearInterval(timer);
    await taking;
  }
  await rm(file, { force: true });
}

/** --resume and its file are not part of the command a checkpoint keeps. */
function isResumeWord(argv: readonly string[], i: number): boolean {
  return argv[i] === '--resume' || argv[i].startsWith('--resume=') || (i > 0 && argv[i - 1] === '--resume');
}

/** The command line's run with checkpoints: resumed first if asked. */
export async function checkpointed(command: Command, argv: readonly string[], built: { io: IO; reader: Reader; sink: { completion(): Promise<unknown> } }, report: (text: string) => void): Promise<void> {
  let pipeline: Pipeline = { io: built.io, reader: built.reader, completion: () => built.sink.completion() };
  if (command.options.resume !== undefined) pipeline = await resume(command.options.resume, pipeline);
  await runCheckpointed(pipeline, command, argv, report);
}
