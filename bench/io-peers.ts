// The Node contenders of bench/io.ts, each run as its own process (as the
// classic tools and the pushback command are), writing to stdout:
//
//   node dist/bench/io-peers.js <name> FILE
//
// Stream versions are written the way Node's documentation suggests; the hand
// loops are what a person writes when speed matters, with blocking reads.
import { closeSync, createReadStream, openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const NEEDLE = 'ERROR';
/** The hand loops read 1 MiB at a time into one buffer, as a person tuning for speed would. */
const CHUNK = 1 << 20;

/** Bytes to lines, one object per line (the usual line-splitting Transform). */
class SplitLines extends Transform {
  private rest = '';
  constructor() {
    super({ readableObjectMode: true });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    const parts = (this.rest + chunk.toString()).split('\n');
    this.rest = parts.pop()!;
    for (const p of parts) this.push(p);
    callback();
  }
  override _flush(callback: TransformCallback): void {
    if (this.rest) this.push(this.rest);
    callback();
  }
}

class Grep extends Transform {
  constructor() {
    super({ writableObjectMode: true });
  }
  override _transform(line: string, _enc: BufferEncoding, callback: TransformCallback): void {
    callback(null, line.includes(NEEDLE) ? `${line}\n` : undefined);
  }
}

class Upper extends Transform {
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk.toString().toUpperCase());
  }
}

/** Blocking reads of the whole file, chunk by chunk, into one reused buffer (`f` keeps no view of it). */
function eachChunk(file: string, f: (b: Buffer) => void): void {
  const fd = openSync(file, 'r');
  const b = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const n = readSync(fd, b, 0, CHUNK, null);
    if (n === 0) break;
    f(n < CHUNK ? b.subarray(0, n) : b);
  }
  closeSync(fd);
}

const peers: Record<string, (file: string) => Promise<void> | void> = {
  // pass-through
  'stream.pipeline': (file) => pipeline(createReadStream(file), process.stdout),
  // uppercase
  'Transform toUpperCase': (file) => pipeline(createReadStream(file), new Upper(), process.stdout),
  'hand loop (byte table)': (file) => {
    const t = new Uint8Array(256).map((_, i) => (i >= 97 && i <= 122 ? i - 32 : i));
    const out = Buffer.allocUnsafe(CHUNK);
    eachChunk(file, (b) => {
      for (let i = 0; i < b.length; i++) out[i] = t[b[i]];
      writeSync(1, out, 0, b.length);
    });
  },
  // lines + literal grep
  'line-splitting Transform': (file) => pipeline(createReadStream(file), new SplitLines(), new Grep(), process.stdout),
  readline: async (file) => {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      if (line.includes(NEEDLE) && !process.stdout.write(`${line}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  },
  'hand loop (split + includes)': (file) => {
    let rest = '';
    eachChunk(file, (b) => {
      const parts = (rest + b.toString()).split('\n');
      rest = parts.pop()!;
      let out = '';
      for (const p of parts) if (p.includes(NEEDLE)) out += `${p}\n`;
      if (out) writeSync(1, out);
    });
    if (rest.includes(NEEDLE)) writeSync(1, `${rest}\n`);
  },
  // lines + count
  'line-splitting Transform, counted': async (file) => {
    let n = 0;
    await pipeline(createReadStream(file), new SplitLines(), new Writable({
      objectMode: true,
      write(_line, _enc, callback) {
        n++;
        callback();
      },
    }));
    writeSync(1, `${n}\n`);
  },
  // lines with a word, counted
  'hand loop (indexOf of the word)': (file) => {
    // What one pass of Buffer.indexOf costs, the limit of the row: a word cut by
    // a read would be missed (on the bench data the count is exact).
    const needle = Buffer.from(NEEDLE);
    let n = 0;
    eachChunk(file, (b) => {
      for (let i = b.indexOf(needle); i !== -1; i = b.indexOf(needle, i + needle.length)) {
        n++;
        const nl = b.indexOf(10, i);
        if (nl === -1) break;
        i = nl + 1 - needle.length;
      }
    });
    writeSync(1, `${n}\n`);
  },
  // The floor of any Node program that reads the file: the reads alone, nothing looked at.
  'read only (1 MiB blocking reads)': (file) => {
    let n = 0;
    eachChunk(file, (b) => {
      n += b.length;
    });
    writeSync(1, `${n}\n`);
  },
  'hand loop (indexOf)': (file) => {
    let n = 0;
    eachChunk(file, (b) => {
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
    });
    writeSync(1, `${n}\n`);
  },
};

export const PEERS = Object.keys(peers);

const [name, file] = process.argv.slice(2);
if (name !== undefined) {
  const peer = peers[name];
  if (!peer || !file) {
    process.stderr.write(`usage: io-peers.js <${PEERS.join('|')}> FILE\n`);
    process.exit(2);
  }
  await peer(file);
}
