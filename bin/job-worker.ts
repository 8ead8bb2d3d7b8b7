// The worker thread's side of `pushback -j N` (bin/jobs.ts): the same command
// line, compiled here from its words (no function crosses a thread), run over
// one part of the file. What it prints travels to the main thread as messages:
// output bytes in buffers of their own (transferred, not copied again), lines
// for stderr, and the exit status at the end, in the order they were written.
//
// Output is credit-based: the main thread acknowledges the bytes it has passed
// on; with more than `credit` bytes unacknowledged, the worker's output stops
// taking writes, its pipeline stops at its output's high-water mark and stops
// reading. A part far ahead of the one being printed waits, with at most
// about `credit` bytes of its output held by the main thread.
import { Readable, Writable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import type { Reader } from '../processes/sources/readers.js';
import { partReader, type FilePart } from './file-parts.js';

/** What a worker is asked to do (its workerData). */
export interface PartOrder {
  argv: string[];
  path: string;
  part: FilePart;
  /** Bytes of output that may be on their way to the main thread, unacknowledged. */
  credit: number;
}

/** A message from a worker to the main thread. */
export type PartMessage =
  | { kind: 'out'; bytes: Uint8Array }
  | { kind: 'err'; text: string }
  | { kind: 'end'; status: number };

/** A message from the main thread to a worker: `bytes` more of its output have been passed on. */
export interface PartAck {
  ack: number;
}

/** The streams the command line runs with in a worker (a part of its Streams). */
export interface PartStreams {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  stderrIsTTY: boolean;
  services: boolean;
  input: Reader;
}

/** The command line's entry (bin/cli.ts main), passed in so that this module does not import it. */
export type CommandLine = (argv: string[], streams: PartStreams) => Promise<number>;

/** The key of workerData under which a worker finds its order. */
export const PART_ORDER = 'pushbackPart';

/** Runs the command line over the ordered part, talking to the main thread through `port`. */
export async function runPart(commandLine: CommandLine, order: PartOrder, port: MessagePort): Promise<void> {
  const post = (message: PartMessage, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);
  let unacknowledged = 0;
  let resume: (() => void) | undefined;
  port.on('message', (message: PartAck) => {
    unacknowledged -= message.ack;
    if (resume !== undefined && unacknowledged <= order.credit) {
      const go = resume;
      resume = undefined;
      go();
    }
  });
  const send = (chunks: Uint8Array[], done: () => void): void => {
    // A buffer of its own, so that it can be transferred; the pipeline may reuse the memory it wrote from.
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    unacknowledged += bytes.byteLength;
    post({ kind: 'out', bytes }, [bytes.buffer]);
    if (unacknowledged <= order.credit) done();
    else resume = done;
  };
  const asBytes = (chunk: unknown): Uint8Array => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array));
  const stdout = new Writable({
    highWaterMark: 1 << 20,
    write(chunk, _encoding, done) {
      send([asBytes(chunk)], () => done());
    },
    writev(entries, done) {
      send(entries.map((e) => asBytes(e.chunk)), () => done());
    },
  });
  const stderr = new Writable({
    decodeStrings: false,
    write(chunk, _encoding, done) {
      post({ kind: 'err', text: typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8') });
      done();
    },
  });
  const status = await commandLine(order.argv, {
    stdin: Readable.from([]),
    stdout,
    stderr,
    stderrIsTTY: false,
    services: false,
    input: partReader(order.path, order.part),
  });
  // Output still waiting for credit goes out before the end is said.
  await new Promise<void>((resolve) => stdout.end(resolve));
  // The main thread ends this thread once it has what it needs.
  post({ kind: 'end', status });
}
