// `pushback -j N FILE STAGE...`: the file cut into parts at line boundaries
// (bin/file-parts.ts), the same command line run over each part (bin/job-worker.ts)
// by N threads, and the parts' outputs merged on the main thread in the order
// of the parts, as bin/jobs-plan.ts says: so that the output is byte for byte
// what one thread prints.
//
// The threads are the main thread itself and N - 1 workers; each takes the
// next part nobody has taken yet whenever it is free, and when there is none,
// splits off the unread half of the part with the most left (bin/part-table.ts,
// in shared memory). The main thread is started already and takes the first
// part; a worker needs a while to start (on a busy machine, a good part of a
// second) and simply takes less of the file. The workers are started by
// bin/job-threads.ts, as early as the command allows (bin/pushback.ts), and get
// their order by message. Both kinds of thread talk to the merge through the
// same messages (on the main thread, through a MessageChannel).
//
// The output is streamed: the part being printed goes on to standard output as
// it comes; a thread further on keeps at most its credit of output here and
// then waits (see job-worker.ts). Messages on stderr come in the order of the
// parts, each where the part's own run put it.
import type { Writable } from 'node:stream';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { record } from '../processes/elements/stringify.js';
import { cutIntoParts, linesBefore } from './file-parts.js';
import { startJobThread } from './job-threads.js';
import { runParts, type CommandLine, type PartControl, type PartMessage, type PartOrder } from './job-worker.js';
import type { JobsPlan, Merge } from './jobs-plan.js';
import { PartTable } from './part-table.js';

/** Bytes of a thread's output that may wait on the main thread before the thread stops. */
export const PART_CREDIT = 4 << 20;

/** What the main thread holds of a part's output, after each change (for tests of bounded memory). */
export interface PartQueue {
  part: number;
  /** Bytes received from the part's thread and not yet passed on. */
  queued: number;
  /** The same for all the parts. */
  held: number;
}

export interface JobsStreams {
  stdout: Writable;
  /** Where the parts' messages go. */
  stderr: { write(text: string): unknown };
  observe?: (queue: PartQueue) => void;
  /** Workers started already, waiting for their orders (bin/pushback.ts starts them before the command line loads). */
  started?: Worker[];
  /** Told, once the run has its parts, how to ask how many bytes of the file the threads have read (for the progress line). */
  reading?: (read: () => number) => void;
}

const NEWLINE = 0x0a;

/**
 * What the workers run: the command line's own bundle when running from it
 * (dist/bin/cli.cjs), the compiled module next to this one, or (when this runs
 * from its TypeScript source, as in tests) the bundle that `npm run build` made.
 */
function workerEntry(): URL {
  const here = import.meta.url;
  if (here.endsWith('.cjs')) return new URL(here);
  if (here.endsWith('.js')) return new URL('./cli.js', here);
  return new URL('../dist/bin/cli.cjs', here);
}

interface Part {
  /** Acknowledges output to the thread that runs the part (known from its first message). */
  control?: (message: PartControl) => void;
  inbox: PartMessage[];
  queued: number;
}

/** A thread of the run: the main thread itself or a worker. */
interface Thread {
  control(message: PartControl): void;
  stop(): Promise<unknown>;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a, 0);
  joined.set(b, a.byteLength);
  return joined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Parts of at least this size, as long as each thread gets one. */
const SMALLEST_PART = 4 << 20;
/** At most this many parts per thread, when the parts' outputs are printed (not added). */
const PARTS_PER_THREAD = 8;

/**
 * How many parts a file is first cut into for `jobs` threads, at most
 * `perThread` per thread: several, when the outputs are printed, so that a
 * thread whose part waits to be printed (its output past its credit) stops for
 * a part's time rather than half the file's; none smaller than 4 MiB, since
 * each part is a run of the whole command line with its own start; but at
 * least one per thread. The threads end together however the parts fall: the
 * first to run out splits the part with the most left (bin/part-table.ts).
 */
export function partCount(size: number, jobs: number, perThread = PARTS_PER_THREAD): number {
  return Math.max(jobs, Math.min(jobs * perThread, Math.ceil(size / SMALLEST_PART)));
}

/**
 * Parts per thread for a merge. When the parts' totals are added, no thread
 * ever waits for the merge, and a part costs more than its share of the work
 * in a run on several threads (fields 6 sum over 200 MB with -j2: 0.71-0.76 s
 * of CPU in 16 parts, 0.59-0.63 s in 2): one part per thread, and the splits
 * at the end even out a thread's late start.
 */
function partsPerThread(merge: Merge): number {
  return merge.kind === 'add' ? 1 : PARTS_PER_THREAD;
}

/** Runs the command in parts; resolves with the exit status, as the one-thread run would. */
export async function runJobs(commandLine: CommandLine, argv: string[], plan: Extract<JobsPlan, { parallel: true }>, jobs: number, streams: JobsStreams): Promise<number> {
  const { path, merge } = plan;
  // Empty parts print nothing and add nothing; the first part always runs, so that a total is printed.
  const ranges = cutIntoParts(path, plan.size, partCount(plan.size, jobs, partsPerThread(merge))).filter((r, k) => k === 0 || r.end > r.start);
  const table = PartTable.create(path, plan.size, ranges);
  streams.reading?.(() => table.claimed());
  /** By their place in the table: the parts of the first cut, then those split off as the run goes. */
  const parts: Part[] = [];
  const partAt = (k: number): Part => (parts[k] ??= { inbox: [], queued: 0 });
  let wake: (() => void) | undefined;
  const arrived = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** A thread that failed as a whole (a worker that threw or died): the run ends with its message. */
  let failure: string | undefined;
  let held = 0;
  const receive = (control: (message: PartControl) => void) => (m: PartMessage): void => {
    const part = partAt(m.part);
    part.control ??= control;
    part.inbox.push(m);
    if (m.kind === 'out') {
      part.queued += m.bytes.byteLength;
      held += m.bytes.byteLength;
      streams.observe?.({ part: m.part, queued: part.queued, held });
    }
    arrived();
  };
  const order: PartOrder = { argv, path, size: plan.size, parts: table.shared, credit: PART_CREDIT };
  const threads: Thread[] = [];
  // The main thread takes the first part; the workers start meanwhile.
  const channel = new MessageChannel();
  const inThread = (message: PartControl): void => channel.port2.postMessage(message);
  channel.port2.on('message', receive(inThread));
  threads.push({
    control: inThread,
    stop: async () => {
      channel.port2.postMessage({ stop: true } satisfies PartControl);
      channel.port2.close();
    },
  });
  void runParts(commandLine, order, channel.port1).catch((error: Error) => {
    failure ??= `pushback: internal error: ${error.stack ?? error.message}\n`;
    arrived();
  });
  // Workers started early that are still alive are used first; those not needed (fewer parts than threads) stop.
  const started = (streams.started ?? []).filter((w) => w.threadId >= 0);
  // Fewer parts than threads: the file is too small for a split to be worth it.
  for (const spare of started.splice(Math.max(0, Math.min(jobs, ranges.length) - 1))) void spare.terminate();
  for (let t = 1; t < Math.min(jobs, ranges.length); t++) {
    const worker = started.shift() ?? startJobThread(workerEntry());
    worker.postMessage(order);
    const control = (message: PartControl): void => worker.postMessage(message);
    threads.push({ control, stop: () => worker.terminate() });
    worker.on('message', receive(control));
    worker.on('error', (error: Error) => {
      failure ??= `pushback: internal error in a worker thread: ${error.stack ?? error.message}\n`;
      arrived();
    });
    worker.on('exit', (code) => {
      failure ??= `pushback: a worker thread stopped before the end (exit code ${code})\n`;
      arrived();
    });
  }
  const next = async (part: Part): Promise<PartMessage | undefined> => {
    while (part.inbox.length === 0 && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
    return part.inbox.shift();
  };

  const { stdout, stderr } = streams;
  let outputClosed = false;
  let writable: (() => void) | undefined;
  const onOutputError = (): void => {
    // EPIPE and the like: the reader went away; the run ends cleanly, as with one thread.
    outputClosed = true;
    writable?.();
  };
  stdout.on('error', onOutputError);
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (outputClosed || bytes.byteLength === 0) return;
    if (stdout.write(bytes)) return;
    await new Promise<void>((resolve) => {
      writable = resolve;
      stdout.once('drain', resolve);
    });
    stdout.off('drain', writable!);
    writable = undefined;
  };

  const startLines = new Map<number, number>();
  /** A part's message on stderr, saying where its record and line numbers count from (they count within the part); `nth` counts parts in the file's order. */
  const located = (text: string, k: number, nth: number): string => {
    const { start } = table.range(k);
    if (start === 0) return text;
    if (!startLines.has(k)) startLines.set(k, linesBefore(path, start) + 1);
    const where = ` [-j part ${nth}: counted from line ${startLines.get(k)}]`;
    return text.replace(/\n/g, `${where}\n`);
  };

  let status = 0;
  let total = 0;
  let linesOut = 0;
  // uniq: the last line printed and what has been printed of the line after it.
  let lastLine: Uint8Array | undefined;
  let partial: Uint8Array = new Uint8Array(0);
  const remember = (bytes: Uint8Array): void => {
    const end = bytes.lastIndexOf(NEWLINE);
    if (end < 0) {
      partial = concat(partial, bytes);
      return;
    }
    const start = bytes.lastIndexOf(NEWLINE, end - 1);
    lastLine = start >= 0 ? bytes.subarray(start + 1, end) : concat(partial, bytes.subarray(0, end));
    partial = bytes.subarray(end + 1);
  };

  try {
    // The parts in the order of the file: each one's successor starts where it ends, and is known once it is done.
    run: for (let k: number | undefined = 0, nth = 1; k !== undefined; k = table.after(k), nth++) {
      const part = partAt(k);
      let totalText = '';
      // uniq: the start of this part's output, held until its first line is complete.
      let seam: Uint8Array | undefined = merge.kind === 'uniq' && lastLine !== undefined ? new Uint8Array(0) : undefined;
      for (;;) {
        if (outputClosed || (merge.kind === 'take' && linesOut >= merge.lines)) break run;
        const m = await next(part);
        if (m === undefined) {
          stderr.write(failure!);
          status = 2;
          break run;
        }
        if (m.kind === 'err') {
          stderr.write(located(m.text, k, nth));
          continue;
        }
        if (m.kind === 'end') {
          if (seam !== undefined) await write(dropRepeated(seam, lastLine!, true));
          if (m.status !== 0) {
            status = m.status;
            break run;
          }
          break;
        }
        let bytes = m.bytes;
        part.queued -= bytes.byteLength;
        held -= bytes.byteLength;
        streams.observe?.({ part: k, queued: part.queued, held });
        const ack = (): void => part.control!({ ack: m.bytes.byteLength });
        if (merge.kind === 'add') {
          totalText += Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
          ack();
          continue;
        }
        if (seam !== undefined) {
          seam = concat(seam, bytes);
          // A first line longer than the credit is taken in whole: the worker must go on to finish it.
          if (seam.indexOf(NEWLINE) < 0) {
            ack();
            continue;
          }
          bytes = dropRepeated(seam, lastLine!, false);
          seam = undefined;
        }
        if (merge.kind === 'take') bytes = firstLines(bytes, merge.lines - linesOut);
        if (merge.kind === 'take') linesOut += countLines(bytes);
        await write(bytes);
        if (merge.kind === 'uniq') remember(bytes);
        ack();
      }
      if (merge.kind === 'add') total += Number(totalText);
    }
    if (merge.kind === 'add' && status === 0) await write(Buffer.from(`${record(total)}\n`));
  } finally {
    stdout.off('error', onOutputError);
    await Promise.all(threads.map((t) => t.stop()));
  }
  return outputClosed ? 0 : status;
}

/** The bytes at the start of a part without their first line when it repeats the line before the seam. */
function dropRepeated(head: Uint8Array, before: Uint8Array, ended: boolean): Uint8Array {
  let end = head.indexOf(NEWLINE);
  if (end < 0) {
    if (!ended) return head;
    end = head.byteLength;
  }
  return sameBytes(head.subarray(0, end), before) ? head.subarray(Math.min(end + 1, head.byteLength)) : head;
}

/** The first `n` lines of bytes (all of them when they hold fewer). */
function firstLines(bytes: Uint8Array, n: number): Uint8Array {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = bytes.indexOf(NEWLINE, at + 1);
    if (at < 0) return bytes;
  }
  return bytes.subarray(0, at + 1);
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) n++;
  return n;
}
