// A host turned the same portable function text into a new function object for
// every job. The fused chain is shared by shape, so its call site saw one more
// target per job and V8 stopped inlining it: parallel(1) ran about 7% behind
// one thread, and a loop-heavy map under `pushback -j` four times slower from
// the second part on. A host now keeps one function per text (and name).
import { expect, test } from 'vitest';
import { IO } from '../../api/io.js';
import { packParams, unpackParams } from '../../transport/portable-params.js';

test('the same text and name revive to the same function; another name or text to another', () => {
  const packed = packParams({ f: (x: number) => x * 7 }, 'map#1');
  const first = unpackParams(packed, 'map', 'map#1 on host 2').f as (x: number) => number;
  const again = unpackParams(packParams({ f: (x: number) => x * 7 }, 'map#9'), 'map', 'map#9 on host 2').f;
  const otherName = unpackParams(packed, 'filter', 'filter#1 on host 2').f;
  const otherText = unpackParams(packParams({ f: (x: number) => x * 8 }, 'map#2'), 'map', 'map#2 on host 2').f;
  expect(first(6)).toBe(42);
  expect(again).toBe(first);
  expect(otherName).not.toBe(first);
  expect(otherText).not.toBe(first);
});

test('chains run again and again on a worker give the same results with the shared function', async () => {
  const io = new IO({ workers: 1 });
  try {
    const xs = Array.from({ length: 3_000 }, (_, i) => i);
    for (let run = 0; run < 5; run++) {
      expect(await io.from(xs).on(0).map((x: number) => (x * 31) % 17).sum().completion()).toBe(xs.reduce((a, x) => a + ((x * 31) % 17), 0));
    }
  } finally {
    await io.close();
  }
});
