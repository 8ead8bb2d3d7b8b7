// The byte loop (processes/bytes/byte-stages.ts) against the record stages it
// replaces: the same command with `drop 0` first runs every stage on records
// (lines, then one stage after another), without it the stages that can work
// on bytes run in the byte loop. Inputs are cut into chunks at random places,
// so lines, "\r\n" and UTF-8 characters straddle chunk boundaries.
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['ERROR', 'error', 'INFO', 'ok', '42', '-7', '3.25', 'straße', 'café', 'n/a', '', ' ', '\t', 'x'];

function input(seed: number): Buffer[] {
  const r = random(seed);
  const parts: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const n = Math.floor(r() * 6);
    const words: string[] = [];
    for (let k = 0; k < n; k++) words.push(WORDS[Math.floor(r() * WORDS.length)]);
    let line: Buffer = Buffer.from(words.join(r() < 0.8 ? ' ' : '  '));
    if (r() < 0.05) line = Buffer.concat([line, Buffer.from([0xe9, 0xff])]);
    parts.push(line, Buffer.from(r() < 0.1 ? '\r\n' : '\n'));
    // Runs of equal lines, for uniq.
    if (r() < 0.2) parts.push(line, Buffer.from('\n'));
  }
  if (r() < 0.5) parts.push(Buffer.from('last line without a newline ERROR 5'));
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length;) {
    const size = 1 + Math.floor(r() * 200);
    chunks.push(all.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const PIPELINES: string[][] = [
  ['grep', 'ERROR'],
  ['grep', '-v', 'ERROR'],
  ['grep', '-F', 'é'],
  ['grep', '-i', 'error'],
  ['grep', '/^\\d/'],
  ['grep', 'ERROR', 'count'],
  ['grep', '-c', 'ok'],
  ['count'],
  ['uniq'],
  ['uniq', 'count'],
  ['grep', '', 'upper'],
  ['grep', 'a', 'lower'],
  ['uniq', 'upper'],
  ['upper', 'uniq'],
  ['fields', '2'],
  ['fields', '1,3'],
  ['fields', '2-4'],
  ['fields', '3-'],
  ['fields', '-d', 'a', '2'],
  ['fields', '-d', '\\t', '1,2'],
  ['fields', '2', 'uniq'],
  ['grep', 'ERROR', 'fields', '2', 'upper'],
  ['grep', '-F', 'ERROR', 'take', '3'],
  ['grep', 'ok', 'map', 'x.length'],
];

describe('the byte loop gives what the record stages give', () => {
  for (const stages of PIPELINES) {
    it(stages.join(' '), async () => {
      for (const seed of [1, 2, 3]) {
        const chunks = input(seed);
        const bytes = await run(stages, chunks);
        const records = await run(['drop', '0', ...stages], chunks);
        expect(bytes.stderr).toBe(records.stderr);
        expect(bytes.status).toBe(records.status);
        expect(bytes.bytes.toString('latin1')).toBe(records.bytes.toString('latin1'));
      }
    });
  }

  it('sum reads numbers as the record stage does, and names the same record', async () => {
    const text = Buffer.from('1\n-2.5\n+3\n0.1\n.5\n5.\n1e3\n0x1f\n 7 \n123456789012345678\n0.30000000000000004\n');
    expect((await run(['sum'], [text])).stdout).toBe((await run(['drop', '0', 'sum'], [text])).stdout);
    const bad = [Buffer.from('1\n2\nthree\n')];
    const a = await run(['sum'], bad);
    const b = await run(['drop', '0', 'sum'], bad);
    expect(a.status).toBe(2);
    expect(a.stderr).toBe(b.stderr);
    const skipped = await run(['--on-error=skip', 'fields', '2', 'sum'], [Buffer.from('a 1\nb x\nc 2\n')]);
    expect(skipped.stdout).toBe('3\n');
    expect(skipped.stderr).toBe('pushback: skipped: sum: record 2: not a number: "x"\n');
  });

  it('--explain shows the byte loop without the pattern', async () => {
    const got = await run(['--explain', 'grep', 'SECRET', 'count']);
    expect(got.stdout).toMatch(/pushback pipeline: input -> byteStages -> output/);
    expect(got.stdout).toMatch(/find the fixed string with (WebAssembly SIMD|Buffer.indexOf)/);
    expect(got.stdout).not.toContain('SECRET');
  });
});
