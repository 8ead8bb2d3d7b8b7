// The generated inputs of the command-line benches (bench/io.ts, bench/jobs.ts):
// the sample log, and the same records as JSON lines, written to about a given size.
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sampleChunks, sampleLines } from '../examples/sample.js';

/** Writes chunks to `path` until about `bytes` are written (whole chunks, so a little more). */
async function writeUpTo(path: string, chunks: Iterable<string>, bytes: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  process.stderr.write(`generating ${path} ...\n`);
  const out = createWriteStream(path);
  let written = 0;
  for (const chunk of chunks) {
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    if (written >= bytes) break;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** The sample log (examples/sample.ts), about `bytes` long. */
export function writeSampleLog(path: string, bytes: number): Promise<void> {
  return writeUpTo(path, sampleChunks({ lines: Math.ceil(bytes / 69), seed: 7 }), bytes);
}

/** The sample's records as JSON lines ({ts, level, service, method, path, status, ms, user}), about `bytes` long. */
export function writeSampleJsonLines(path: string, bytes: number): Promise<void> {
  return writeUpTo(path, jsonChunks(bytes), bytes);
}

function* jsonChunks(bytes: number): Generator<string> {
  let batch: string[] = [];
  for (const line of sampleLines({ lines: Math.ceil(bytes / 100), seed: 7 })) {
    const [ts, level, service, method, path, status, ms, user] = line.split(' ');
    batch.push(JSON.stringify(status === undefined ? { ts, level, service, message: line.split(' ').slice(3).join(' ') } : { ts, level, service, method, path, status: Number(status), ms: parseInt(ms, 10), user: user?.slice(5) }));
    if (batch.length === 1000) {
      yield `${batch.join('\n')}\n`;
      batch = [];
    }
  }
  if (batch.length > 0) yield `${batch.join('\n')}\n`;
}
