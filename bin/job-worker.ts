// A thread's side of `pushback -j N` (bin/jobs.ts): the same command line,
// compiled here from its words (no function crosses a thread), run over parts
// of the file. What it prints travels to the main thread as messages:
// output bytes in buffers of their own (transferred, not copied again), lines
// for stderr, and the exit status at the end, in the order they were written.
//
// Output is credit-based: the main thread acknowledges the bytes it has passed
// on; with more than `credit` bytes unacknowledged, the worker's output stops
// taking writes, its pipeline stops at its output's high-water mark and stops
// reading. A thread far ahead of the part being printed waits, with at most
// about `credit` bytes of its output held by the main thread.
import { Readable, Writable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import type { Reader } from '../processes/sources/readers.js';
import { partReader } from './file-parts.js';
import { PartTable } from './part-table.js';

/** What a thread of the run is asked to do (a worker's first message). */
export interface PartOrder {
  argv: string[];
  path: string;
  size: number;
  /** The parts of the file (bin/part-table.ts), shared by all the threads of the run: a thread takes one when it is free. */
  parts: SharedArrayBuffer;
  /** Bytes of output that may be on their way to the main thread, unacknowledged. */
  credit: number;
}

/** A message from a thread to the main thread, about one part. */
export type PartMessage =
  | { kind: 'out'; part: number; bytes: Uint8Array }
  | { kind: 'err'; part: number; text: string }
  | { kind: 'end'; part: number; status: number };

/** A message from the main thread to a thread: `ack` more bytes of its output have been passed on; or stop now. */
export type PartControl = { ack: number } | { stop: true };

/** The streams the command line runs with over a part (a part of its Streams). */
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

/**
 * Runs the command line over parts of the file, one after the other: the next
 * part of the first cut not taken yet, and when there is none, a part split
 * off another one (bin/part-table.ts); until there is nothing left worth a
 * part, a part fails, or the main thread says stop. Talks to the main thread
 * through `port`.
 */
export async function runParts(commandLine: CommandLine, order: PartOrder, port: MessagePort): Promise<void> {
  const post = (message: PartMessage, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);
  const table = PartTable.of(order.parts, order.path, order.size);
  const take = (): number | undefined => (stopped ? undefined : table.takeFirst() ?? table.split());
  let unacknowledged = 0;
  let resume: (() => void) | undefined;
  let stopped = false;
  let input: Reader | undefined;
  port.on('message', (message: PartControl) => {
    if ('stop' in message) {
      // The merge has what it needs (take N is done, a part failed, or the output was closed).
      stopped = true;
      void input?.close();
      resume?.();
      resume = undefined;
      return;
    }
    unacknowledged -= message.ack;
    if (resume !== undefined && unacknowledged <= order.credit) {
      const go = resume;
      resume = undefined;
      go();
    }
  });
  const asBytes = (chunk: unknown): Uint8Array => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array));
  for (let part = take(); part !== undefined; part = take()) {
    const send = (chunks: Uint8Array[], done: () => void): void => {
      if (stopped) {
        done();
        return;
      }
      // A buffer of its own, so that it can be transferred; the pipeline may reuse the memory it wrote from.
      const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.byteLength;
      }
      unacknowledged += bytes.byteLength;
      post({ kind: 'out', part, bytes }, [bytes.buffer]);
      if (unacknowledged <= order.credit) done();
      else resume = done;
    };
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
        if (!stopped) post({ kind: 'err', part, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8') });
        done();
      },
    });
    input = partReader(order.path, table.readable(part));
    const status = await commandLine(order.argv, { stdin: Readable.from([]), stdout, stderr, stderrIsTTY: false, services: false, input });
    // A part that stopped before its end (take N was done, or it failed) keeps what it did not read: none of it is split off.
    table.finish(part);
    // Output still waiting for credit goes out before the end is said.
    await new Promise<void>((resolve) => stdout.end(resolve));
    if (stopped) break;
    post({ kind: 'end', part, status });
    // After a failed part the run ends there: the parts after it are not needed.
    if (status !== 0) break;
  }
}
