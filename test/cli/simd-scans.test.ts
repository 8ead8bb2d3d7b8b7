// The command line's byte loop on input large enough for the SIMD scans
// (processes/bytes/simd.ts: many 64 KiB windows, matches across their edges,
// chunks cut anywhere), against answers computed here, with the kernels on and
// off: `count`, `grep WORD count`, `grep WORD`, `upper`, `lower`, and the
// prefilter of `jsonl filter` (a search that probes two inner bytes).
import { afterEach, describe, expect, it } from 'vitest';
import { countNewlines, FixedSearch, useSimd } from '../../processes/bytes/simd.js';
import { run } from './helpers.js';

afterEach(() => useSimd(true));

/** About 1.5 MB of lines of varied length, some with ERROR (one across every 64 KiB edge it meets), a few not UTF-8. */
function input(): Buffer {
  let s = 11;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const lines: Buffer[] = [];
  let size = 0;
  while (size < 1.5e6) {
    const words = Array.from({ length: 1 + Math.floor(r() * 12) }, () => ['ERROR', 'ERR', 'RROR', 'E', 'straße', 'info', 'Mixed', 'x'.repeat(Math.floor(r() * 40))][Math.floor(r() * 8)]);
    const line = r() < 0.01 ? Buffer.concat([Buffer.from(words.join(' ')), Buffer.from([0xff, 0xfe])]) : Buffer.from(words.join(' '));
    lines.push(line, Buffer.from(r() < 0.05 ? '\r\n' : '\n'));
    size += line.length + 1;
  }
  return Buffer.concat(lines);
}

/** The input cut into chunks of uneven sizes, as a pipe may deliver it. */
function chunks(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < b.length; k++) {
    const size = [65536, 1, 100000, 70001, 16, 300000][k % 6];
    out.push(b.subarray(at, at + size));
    at += size;
  }
  return out;
}

const data = input();
const lines = data.toString('latin1').split('\n').slice(0, -1);
const ascii = (b: Buffer, upper: boolean) => Buffer.from(b.map((c) => (upper ? (c >= 97 && c <= 122 ? c - 32 : c) : c >= 65 && c <= 90 ? c + 32 : c)));

describe.each([true, false])('the byte loop with the SIMD kernels %s', (simd) => {
  it('counts, greps and changes case as the plain answers say', async () => {
    useSimd(simd);
    const matching = lines.filter((l) => l.includes('ERROR'));
    expect((await run(['count'], chunks(data))).stdout).toBe(`${lines.length}\n`);
    expect((await run(['grep', 'ERROR', 'count'], chunks(data))).stdout).toBe(`${matching.length}\n`);
    const grepped = await run(['grep', 'ERROR'], chunks(data));
    expect(grepped.bytes.equals(Buffer.from(matching.map((l) => `${l.endsWith('\r') ? l.slice(0, -1) : l}\n`).join(''), 'latin1'))).toBe(true);
    expect((await run(['upper'], chunks(data))).bytes.equals(ascii(data, true))).toBe(true);
    expect((await run(['lower'], chunks(data))).bytes.equals(ascii(data, false))).toBe(true);
  });

  it('frames every line for the stages that look at each (newlines found a window at a time), and greps them with the word search', async () => {
    useSimd(simd);
    const bare = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const out = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''), 'latin1');
    // grep -v as the first stage: a search of its own in every line's buffer, while the lines are framed ahead of it.
    expect((await run(['grep', '-v', 'ERROR'], chunks(data))).bytes.equals(out(bare.filter((l) => !l.includes('ERROR'))))).toBe(true);
    expect((await run(['grep', '-v', 'ERROR', 'count'], chunks(data))).stdout).toBe(`${bare.filter((l) => !l.includes('ERROR')).length}\n`);
    const first = (l: string) => l.split(/[ \t]+/).filter((f) => f !== '')[0] ?? '';
    expect((await run(['fields', '1'], chunks(data))).bytes.equals(out(bare.map(first)))).toBe(true);
    expect((await run(['fields', '1', 'grep', '-v', 'RROR', 'count'], chunks(data))).stdout).toBe(`${bare.map(first).filter((f) => !f.includes('RROR')).length}\n`);
  });
});

/** About 1.5 MB of JSON lines; "ERROR" now as the level, now in another field, now escaped. */
function jsonInput(): string {
  let s = 5;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const out: string[] = [];
  let size = 0;
  for (let k = 0; size < 1.5e6; k++) {
    const level = ['ERROR', 'INFO', 'ERRORS', 'RROR', '\\u0045RROR'][Math.floor(r() * 5)];
    const line = `{"level":"${level}","n":${k},"note":"${'x'.repeat(Math.floor(r() * 90))}${r() < 0.1 ? '\\"ERROR\\"' : ''}"}`;
    out.push(line);
    size += line.length + 1;
  }
  return `${out.join('\n')}\n`;
}

describe.each([true, false])('jsonl filter with the SIMD kernels %s', (simd) => {
  it('keeps the records that parsing every line keeps', async () => {
    useSimd(simd);
    const text = jsonInput();
    const expected = text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as { level: string; n: number }).filter((x) => x.level === 'ERROR').map((x) => `${x.n}\n`).join('');
    const got = await run(['jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.n'], chunks(Buffer.from(text)));
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(expected);
  });
});

describe('FixedSearch probing two inner bytes', () => {
  it('finds what indexOf finds, across windows', () => {
    const hay = Buffer.from(jsonInput());
    const needle = Buffer.from('"ERROR"');
    const search = new FixedSearch(needle, [1, needle.length - 2]);
    for (let from = 0, n = 0; n < 5000; n++) {
      const expected = hay.indexOf(needle, from);
      expect(search.indexOf(hay, from)).toBe(expected);
      if (expected === -1) break;
      from = expected + 1 + (n % 3) * 1000;
    }
    expect(() => new FixedSearch(needle, [2, 7])).toThrow(/probe 2, 7 is not in a needle of 7 bytes/);
  });
});

describe('counting newlines', () => {
  const plain = (b: Buffer, s: number, e: number) => {
    let n = 0;
    for (let i = s; i < e; i++) if (b[i] === 10) n++;
    return n;
  };

  it('counts a range of nothing but newlines (every byte counter at its most) and of mixed bytes, at any offset and length', () => {
    // Only newlines: each of the kernel's byte counters gains 4 every 64 bytes, 252 in a run of 4032 bytes.
    const full = Buffer.alloc(3 * 65536 + 200, 10);
    let x = 7;
    const mixed = Buffer.from(Array.from({ length: 3 * 65536 + 200 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24) % 3 === 0 ? 10 : 0x41));
    for (const b of [full, mixed]) {
      for (const [s, e] of [[0, b.length], [1, b.length - 1], [3, 4032 + 3], [5, 4033 + 5], [0, 64 * 63], [0, 65536], [17, 65536 + 63 + 17], [0, 255], [0, 256], [100, 100]]) {
        expect(countNewlines(b, s, e)).toBe(plain(b, s, e));
      }
    }
  });
});

