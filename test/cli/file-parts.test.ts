// A file in parts for -j (bin/file-parts.ts): the parts cover the file in order,
// each starts at a line's start, and a part's reader gives exactly its bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cutIntoParts, linesBefore, partReader } from '../../bin/file-parts.js';

const scratch = mkdtempSync(join(tmpdir(), 'pushback-parts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function readAll(path: string, part: { start: number; end: number }, max: number): Promise<Buffer> {
  const reader = partReader(path, part);
  const chunks: Buffer[] = [];
  for (let c = await reader.read(max); c !== null; c = await reader.read(max)) chunks.push(Buffer.from(c as Uint8Array));
  await reader.close();
  return Buffer.concat(chunks);
}

describe('cutting a file into parts at line boundaries', () => {
  it('covers the file in order, each part starting at a line start, on random files', async () => {
    let seed = 5;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 60; round++) {
      const lines = Array.from({ length: Math.floor(next() * 40) }, () => 'x'.repeat(next() < 0.1 ? Math.floor(next() * 300_000) : Math.floor(next() * 50)));
      const ending = next() < 0.3 ? '\r\n' : '\n';
      let text = lines.join(ending);
      if (next() < 0.7 && text !== '') text += ending;
      const bytes = Buffer.from(text);
      const path = join(scratch, `f${round}.txt`);
      writeFileSync(path, bytes);
      const n = 1 + Math.floor(next() * 9);
      const parts = cutIntoParts(path, bytes.length, n);
      expect(parts).toHaveLength(n);
      expect(parts[0].start).toBe(0);
      expect(parts[n - 1].end).toBe(bytes.length);
      const read: Buffer[] = [];
      for (let k = 0; k < n; k++) {
        const { start, end } = parts[k];
        expect(start).toBeLessThanOrEqual(end);
        if (k > 0) expect(start).toBe(parts[k - 1].end);
        if (start > 0 && start < bytes.length) expect(bytes[start - 1]).toBe(0x0a);
        read.push(await readAll(path, parts[k], 1 + Math.floor(next() * 70_000)));
        expect(read[k].equals(bytes.subarray(start, end))).toBe(true);
        expect(linesBefore(path, start)).toBe(bytes.subarray(0, start).toString('latin1').split('\n').length - 1);
      }
      expect(Buffer.concat(read).equals(bytes)).toBe(true);
    }
  }, 60_000);

  it('leaves parts empty when a line is longer than a part, or there are fewer lines than parts', () => {
    const path = join(scratch, 'long.txt');
    writeFileSync(path, `a\n${'y'.repeat(1000)}\nb\n`);
    expect(cutIntoParts(path, 1005, 4)).toEqual([{ start: 0, end: 1003 }, { start: 1003, end: 1003 }, { start: 1003, end: 1003 }, { start: 1003, end: 1005 }]);
    const two = join(scratch, 'two.txt');
    writeFileSync(two, 'a\nb');
    expect(cutIntoParts(two, 3, 5)).toEqual([{ start: 0, end: 0 }, { start: 0, end: 2 }, { start: 2, end: 2 }, { start: 2, end: 2 }, { start: 2, end: 3 }]);
  });

  it('starts no part but the first with a byte order mark (jsonl passes over one only at the start of the file)', () => {
    const path = join(scratch, 'marks.jsonl');
    const mark = '\ufeff';
    writeFileSync(path, `${mark}1\n${mark}2\n${mark}3\n4\n`);
    // Each line is 5 bytes with its mark; the nominal cuts fall on the marked lines.
    expect(cutIntoParts(path, 17, 4)).toEqual([{ start: 0, end: 15 }, { start: 15, end: 15 }, { start: 15, end: 15 }, { start: 15, end: 17 }]);
  });
});
