// The SIMD byte scans (processes/bytes/simd.ts) against plain loops and
// Buffer.indexOf: countNewlines over ranges of every length around the 16-byte
// steps and the 64 KiB window, at offsets that are not aligned; FixedSearch for
// needles of every length, across window edges, at the buffer's end, with near
// misses (first and last byte right, a middle byte wrong).
import { afterEach, describe, expect, it } from 'vitest';
import { countNewlines, FixedSearch, flipCase, simdAvailable, useSimd } from '../../../processes/bytes/simd.js';

function byLoop(b: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = s; i < e; i++) if (b[i] === 10) n++;
  return n;
}

/** Deterministic bytes with about one newline in `every`, and bytes that differ from 10 by one bit. */
function bytes(length: number, every: number, seed: number): Buffer {
  let x = seed;
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x % every === 0 ? 10 : [11, 8, 42, 0x8a, 0xff, 0][x % 6];
  }
  return b;
}

describe('countNewlines', () => {
  it('runs the WebAssembly SIMD kernel on this Node', () => {
    expect(simdAvailable()).toBe(true);
  });

  it('counts as a byte loop does, for lengths and offsets around the steps', () => {
    const b = bytes(3 * 65536 + 100, 7, 1);
    for (const s of [0, 1, 15, 16, 17, 65535]) {
      for (const length of [0, 1, 15, 16, 17, 255, 256, 257, 4095, 65535, 65536, 65537, 2 * 65536 + 33]) {
        const e = Math.min(b.length, s + length);
        expect(countNewlines(b, s, e), `[${s}, ${e})`).toBe(byLoop(b, s, e));
      }
    }
  });

  it('counts a range of nothing but newlines, and one without any', () => {
    const all = Buffer.alloc(70000, 10);
    expect(countNewlines(all, 3, 70000)).toBe(69997);
    const none = Buffer.alloc(70000, 11);
    expect(countNewlines(none, 0, 70000)).toBe(0);
  });

  it('sees only its range: newlines just outside it are not counted', () => {
    const b = Buffer.alloc(1000, 65);
    b[99] = 10;
    b[900] = 10;
    b[100] = 10;
    b[899] = 10;
    expect(countNewlines(b, 100, 900)).toBe(2);
  });

  it('counts within a view of a larger memory', () => {
    const whole = bytes(200000, 50, 9);
    const view = whole.subarray(12345, 190001);
    expect(countNewlines(view, 0, view.length)).toBe(byLoop(whole, 12345, 190001));
  });
});

/** Every position of needle in b from `from` on, as Buffer.indexOf finds them (overlapping too). */
function allByIndexOf(b: Buffer, needle: Buffer, from = 0): number[] {
  const out: number[] = [];
  for (let i = b.indexOf(needle, from); i !== -1; i = b.indexOf(needle, i + 1)) out.push(i);
  return out;
}

function allBySearch(search: FixedSearch, b: Buffer, from = 0): number[] {
  const out: number[] = [];
  for (let i = search.indexOf(b, from); i !== -1; i = search.indexOf(b, i + 1)) out.push(i);
  return out;
}

describe('FixedSearch', () => {
  const text = Buffer.concat(Array.from({ length: 5000 }, (_, i) => Buffer.from(i % 37 === 0 ? `line ${i} ERROR E-R ERRR EXXXR ERROR\n` : `line ${i} INFO ERRO RROR ok\n`)));

  it('finds what Buffer.indexOf finds, for needles of every length', () => {
    for (const word of ['ER', 'EE', 'ERROR', 'ERRR', 'E', 'line 4999 INFO', '\nline', 'ok\nline 1', 'RROR ok', 'absent', 'INFO ERRO RROR ok\nline 12 INFO']) {
      const needle = Buffer.from(word);
      expect(allBySearch(new FixedSearch(needle), text), word).toEqual(allByIndexOf(text, needle));
    }
  });

  it('finds a needle that lies across the edge of a window, and at the very end', () => {
    const b = Buffer.alloc(3 * 65536 + 7, 'a');
    const needle = Buffer.from('needle');
    for (const at of [0, 65530, 65531, 65536 - 6, 65536, 2 * 65536 - 3, b.length - needle.length]) needle.copy(b, at);
    const search = new FixedSearch(needle);
    expect(allBySearch(search, b)).toEqual(allByIndexOf(b, needle));
    expect(search.indexOf(b, b.length - needle.length + 1)).toBe(-1);
  });

  it('searches from any position, forward and back, and in another buffer after forget', () => {
    const needle = Buffer.from('ERROR');
    const search = new FixedSearch(needle);
    for (const from of [0, 100, 99999, 5, 70000, 3, text.length - 10, text.length]) {
      expect(search.indexOf(text, from), `from ${from}`).toBe(text.indexOf(needle, from));
    }
    const other = Buffer.from(text);
    other.fill('x', 0, 1000);
    search.forget();
    expect(search.indexOf(other, 0)).toBe(other.indexOf(needle, 0));
  });

  it('treats every byte value alike, 0x80 and above included', () => {
    const b = bytes(200000, 3, 5);
    for (const needle of [Buffer.from([0xff, 0x8a]), Buffer.from([0x0a, 0, 0x0b]), Buffer.from([0x8a, 0x0a, 0x8a, 0x0a])]) {
      expect(allBySearch(new FixedSearch(needle), b)).toEqual(allByIndexOf(b, needle));
    }
  });
});

describe('flipCase', () => {
  /** ASCII case by a byte loop. */
  function byLoop(upper: boolean, b: Uint8Array): Buffer {
    return Buffer.from(b.map((c) => (upper ? (c >= 0x61 && c <= 0x7a ? c - 32 : c) : c >= 0x41 && c <= 0x5a ? c + 32 : c)));
  }

  it('changes a-z (or A-Z) and no other byte value, for every length around the steps', () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const b = Buffer.concat(Array.from({ length: 1000 }, () => every)).subarray(3);
    for (const upper of [true, false]) {
      for (const length of [0, 15, 255, 256, 257, 65535, 65536, 65537, 3 * 65536 + 5, b.length]) {
        const src = b.subarray(0, length);
        const dst = Buffer.alloc(length);
        const done = flipCase(upper, src, dst);
        expect(done % 16).toBe(0);
        expect(done).toBe(length >= 256 ? length & ~15 : 0);
        expect(dst.subarray(0, done).equals(byLoop(upper, src.subarray(0, done))), `${upper} ${length}`).toBe(true);
      }
    }
  });

  it('works in place', () => {
    const text = Buffer.from('Straße, ÉTÉ and Mixed Case words 0123 @[`{ '.repeat(3000));
    const copy = Buffer.from(text);
    const done = flipCase(true, text, text);
    expect(text.subarray(0, done).equals(byLoop(true, copy.subarray(0, done)))).toBe(true);
    expect(text.subarray(done).equals(copy.subarray(done))).toBe(true);
  });
});

describe('without WebAssembly', () => {
  afterEach(() => useSimd(true));

  it('the same scans give the same answers by Buffer.indexOf and tables', () => {
    const b = bytes(300000, 9, 3);
    const text = Buffer.from('Mixed CASE text with ERROR and error\n'.repeat(5000));
    const needle = Buffer.from('ERROR');
    const withSimd = { count: countNewlines(b, 7, b.length - 3), found: allBySearch(new FixedSearch(needle), text), upper: Buffer.from(text) };
    const doneWith = flipCase(true, withSimd.upper, withSimd.upper);
    useSimd(false);
    expect(simdAvailable()).toBe(false);
    expect(countNewlines(b, 7, b.length - 3)).toBe(withSimd.count);
    expect(allBySearch(new FixedSearch(needle), text)).toEqual(withSimd.found);
    expect(flipCase(true, Buffer.from(text), Buffer.alloc(text.length))).toBe(0);
    expect(doneWith).toBeGreaterThan(0);
  });
});
