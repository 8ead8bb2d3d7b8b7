// A file read with blocking calls reads into the same memory again once the
// process it went to hands it back (engine/bytes.ts, handBack). What comes out
// must be what comes out of the same command on standard input (which never
// reuses memory), byte for byte, with lines longer than a read, "\r\n" and
// bytes that are not UTF-8 across the 1 MiB read boundaries; and memory is
// taken back only from a process that keeps no view of it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { byteStages, type BytePlan } from '../../processes/bytes/byte-stages.js';
import { openFile, type Reader } from '../../processes/sources/readers.js';
import { run } from '../cli/helpers.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['ERROR', 'INFO', 'ok', '42', '7', '3.25', 'straße', 'x', 'heartbeat'];

/** About 5 MiB of lines, one of them longer than a read. */
function content(): Buffer {
  const r = random(13);
  const parts: Buffer[] = [];
  let size = 0;
  let long = false;
  while (size < 5 << 20) {
    let line: Buffer;
    if (!long && size > 1.5 * (1 << 20)) {
      line = Buffer.alloc(1.3 * (1 << 20), 'ab ERROR ');
      long = true;
    } else {
      const words: string[] = [];
      for (let k = 0, n = 1 + Math.floor(r() * 6); k < n; k++) words.push(WORDS[Math.floor(r() * WORDS.length)]);
      line = Buffer.from(`${words.join(' ')} ${Math.floor(r() * 1000)}`);
      if (r() < 0.02) line = Buffer.concat([line, Buffer.from([0xe9, 0xff])]);
    }
    parts.push(line, Buffer.from(r() < 0.1 ? '\r\n' : '\n'));
    if (r() < 0.2) parts.push(line, Buffer.from('\n'));
    size += line.length + 1;
  }
  parts.push(Buffer.from('last line without a newline ERROR 5'));
  return Buffer.concat(parts);
}

const dir = mkdtempSync(join(tmpdir(), 'pushback-reuse-'));
const data = content();
const file = join(dir, 'data.log');
writeFileSync(file, data);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bytes cut into pieces of 64 KiB, as standard input would give them. */
function stdinPieces(): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += 64 << 10) pieces.push(data.subarray(at, at + (64 << 10)));
  return pieces;
}

const PIPELINES: string[][] = [
  ['count'],
  ['grep', 'ERROR', 'count'],
  ['grep', 'ERROR'],
  ['grep', '-v', 'ERROR'],
  ['grep', 'straße'],
  ['upper'],
  ['uniq'],
  ['uniq', 'count'],
  ['fields', '2'],
  ['fields', '1,3'],
  ['grep', '-v', 'heartbeat', 'fields', '1'],
  ['grep', 'ok', 'upper'],
];

describe('reads into reused memory', () => {
  for (const stages of PIPELINES) {
    it(`a file gives what standard input gives: ${stages.join(' ')}`, async () => {
      const fromFile = await run([file, ...stages]);
      const fromStdin = await run(stages, stdinPieces());
      expect(fromFile.stderr).toBe(fromStdin.stderr);
      expect(fromFile.status).toBe(fromStdin.status);
      expect(fromFile.bytes.equals(fromStdin.bytes)).toBe(true);
    });
  }

  it('two files one after the other give what their bytes give on standard input', async () => {
    const twice = Buffer.concat([data, Buffer.from('\n'), data]);
    const second = join(dir, 'second.log');
    writeFileSync(second, Buffer.concat([Buffer.from('\n'), data]));
    const pieces: Buffer[] = [];
    for (let at = 0; at < twice.length; at += 64 << 10) pieces.push(twice.subarray(at, at + (64 << 10)));
    for (const stages of [['count'], ['grep', 'ERROR'], ['uniq', 'count']]) {
      const fromFiles = await run([file, second, ...stages]);
      const fromStdin = await run(stages, pieces);
      expect(fromFiles.bytes.equals(fromStdin.bytes)).toBe(true);
    }
  });

  /** A file reader that counts the chunks it is given back. */
  async function counted(): Promise<{ reader: Reader; reused: () => number }> {
    const inner = await openFile(file, { sync: true });
    let reused = 0;
    const reader: Reader = {
      bytes: true,
      name: inner.name,
      read: (max) => inner.read(max),
      close: () => inner.close(),
      reuse(chunk) {
        reused++;
        inner.reuse!(chunk);
      },
    };
    return { reader, reused: () => reused };
  }

  const newlines = data.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);

  it('takes memory back from a count, which keeps nothing of it', async () => {
    const { reader, reused } = await counted();
    const plan: BytePlan = { stages: [], total: 'count', emit: 'records' };
    const io = new IO();
    const out = await io.read(reader, { chunkSize: 1 << 20 }).pipe(byteStages, { plan }).collect().completion();
    expect(out).toEqual([newlines + 1]);
    expect(reused()).toBeGreaterThan(0);
  });

  it('does not take memory back from a uniq, which keeps a view of the last line', async () => {
    const { reader, reused } = await counted();
    const plan: BytePlan = { stages: [{ kind: 'uniq' }], total: 'count', emit: 'records' };
    const io = new IO();
    const out = await io.read(reader, { chunkSize: 1 << 20 }).pipe(byteStages, { plan }).collect().completion();
    expect(out).toEqual((await run(['uniq', 'count'], stdinPieces())).stdout.trim().split('\n').map(Number));
    expect(reused()).toBe(0);
  });

  it('does not take memory back through a copy to branches', async () => {
    const { reader, reused } = await counted();
    const io = new IO();
    const source = io.read(reader, { chunkSize: 1 << 20 });
    const plan: BytePlan = { stages: [], total: 'count', emit: 'records' };
    const [a, b] = source.copy(2).map((branch) => branch.pipe(byteStages, { plan }).collect().completion());
    expect(await Promise.all([a, b])).toEqual([[newlines + 1], [newlines + 1]]);
    expect(reused()).toBe(0);
  });
});
