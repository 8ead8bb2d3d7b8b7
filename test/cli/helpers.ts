// Running the command line in-process, with its streams captured.
import { Readable, Writable } from 'node:stream';
import { main, type Streams } from '../../bin/cli.js';

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes. */
  bytes: Buffer;
}

/** Runs the command line; stdin is one chunk, or the given chunks one after the other. */
export async function run(argv: string[], stdin: string | Buffer | Buffer[] = '', streams: Partial<Streams> = {}): Promise<Result> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => new Writable({
    write(chunk: Buffer, _enc, callback) {
      into.push(Buffer.from(chunk));
      callback();
    },
  });
  const status = await main(argv, {
    stdin: Readable.from(Array.isArray(stdin) ? stdin : [Buffer.from(stdin)]),
    stdout: sink(out),
    stderr: sink(err),
    stderrIsTTY: false,
    ...streams,
  });
  return { status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), bytes: Buffer.concat(out) };
}
