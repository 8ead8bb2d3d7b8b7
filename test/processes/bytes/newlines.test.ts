// countNewlines (processes/bytes/newlines.ts) against a plain byte loop: ranges
// of every length around the 16-byte steps and the 64 KiB window, at offsets
// that are not aligned, with newlines everywhere, nowhere, and at the edges.
import { describe, expect, it } from 'vitest';
import { countNewlines, newlinesUseSimd } from '../../../processes/bytes/newlines.js';

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
    expect(newlinesUseSimd()).toBe(true);
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
