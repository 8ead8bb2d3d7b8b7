// `pushback -j N FILE STAGE...`: the file cut into N parts at line boundaries
// (bin/file-parts.ts), the same command line run over each part in a worker
// thread of its own (bin/job-worker.ts), and the parts' outputs merged on the
// main thread in the order of the parts, as bin/jobs-plan.ts says: so that the
// output is byte for byte what one thread prints.
//
// The output is streamed: the part being printed goes on to standard output as
// it comes; a part further on keeps at most its credit of output here and then
// waits (see job-worker.ts). Messages on stderr come in the same order as the
// output, each where the part's own run put it.
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { record } from '../processes/elements/stringify.js';
import { cutIntoParts, linesBefore, type FilePart } from './file-parts.js';
import { PART_ORDER, type PartAck, type PartMessage, type PartOrder } from './job-worker.js';
import type { JobsPlan } from './jobs-plan.js';

/** Bytes of a part's output that may wait on the main thread before the part's worker stops. */
export const PART_CREDIT = 4 << 20;

/** What the main thread holds of a part's output, after each change (for tests of bounded memory). */
export interface PartQueue {
  part: number;
  /** Bytes received from the part's worker and not yet passed on. */
  queued: number;
}

export interface JobsStreams {
  stdout: Writable;
  stderr: Writable;
  observe?: (queue: PartQueue) => void;
}

const NEWLINE = 0x0a;

/**
 * The file the workers run: the command line's own bundle when running from it
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
  range: FilePart;
  worker: Worker;
  inbox: PartMessage[];
  queued: number;
  ended: boolean;
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

/** Runs the command in parts; resolves with the exit status, as the one-thread run would. */
export async function runJobs(argv: string[], plan: Extract<JobsPlan, { parallel: true }>, jobs: number, streams: JobsStreams): Promise<number> {
  const { path, merge } = plan;
  // Empty parts print nothing and add nothing; the first part always runs, so that a total is printed.
  const ranges = cutIntoParts(path, plan.size, jobs).filter((r, k) => k === 0 || r.end > r.start);
  const entry = workerEntry();
  let wake: (() => void) | undefined;
  const arrived = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const parts: Part[] = ranges.map((range, k) => {
    const order: PartOrder = { argv, path, part: range, credit: PART_CREDIT };
    const worker = new Worker(entry, { workerData: { [PART_ORDER]: order } });
    const part: Part = { range, worker, inbox: [], queued: 0, ended: false };
    const end = (status: number, text?: string): void => {
      if (part.ended) return;
      if (text !== undefined) part.inbox.push({ kind: 'err', text });
      part.inbox.push({ kind: 'end', status });
      part.ended = true;
    };
    worker.on('message', (m: PartMessage) => {
      if (m.kind === 'end') end(m.status);
      else part.inbox.push(m);
      if (m.kind === 'out') {
        part.queued += m.bytes.byteLength;
        streams.observe?.({ part: k, queued: part.queued });
      }
      arrived();
    });
    worker.on('error', (error: Error) => {
      end(2, `pushback: internal error in part ${k + 1} of ${ranges.length}: ${error.stack ?? error.message}\n`);
      arrived();
    });
    worker.on('exit', (code) => {
      end(2, `pushback: part ${k + 1} of ${ranges.length} stopped before its end (exit code ${code})\n`);
      arrived();
    });
    return part;
  });
  const next = async (part: Part): Promise<PartMessage> => {
    while (part.inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return part.inbox.shift()!;
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
  /** A part's message on stderr, saying where its record and line numbers count from (they count within the part). */
  const located = (text: string, k: number): string => {
    if (k === 0) return text;
    if (!startLines.has(k)) startLines.set(k, linesBefore(path, parts[k].range.start) + 1);
    const where = ` [-j part ${k + 1} of ${parts.length}: counted from line ${startLines.get(k)}]`;
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
    run: for (let k = 0; k < parts.length; k++) {
      const part = parts[k];
      let totalText = '';
      // uniq: the start of this part's output, held until its first line is complete.
      let seam: Uint8Array | undefined = merge.kind === 'uniq' && lastLine !== undefined ? new Uint8Array(0) : undefined;
      for (;;) {
        if (outputClosed || (merge.kind === 'take' && linesOut >= merge.lines)) break run;
        const m = await next(part);
        if (m.kind === 'err') {
          stderr.write(located(m.text, k));
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
        streams.observe?.({ part: k, queued: part.queued });
        const ack = (): void => part.worker.postMessage({ ack: m.bytes.byteLength } satisfies PartAck);
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
    await Promise.all(parts.map((p) => p.worker.terminate()));
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
