// A worker collected each chunk's outputs into an array grown from empty and
// dropped once sent: most of what it allocated (a young collection every 35
// or so chunks of 4,096). It now gathers them into one typed run kept for the
// job while they are numbers, and from the first one that is not (or when a
// step makes more outputs than the chunk had inputs) into an array of all of
// them, in order. What comes back must be exactly what one thread gives.
import { afterAll, expect, test } from 'vitest';
import { IO } from '../../api/io.js';

const io = new IO({ workers: 2 });
afterAll(() => io.close());

const same = (got: unknown[], want: unknown[]): void => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Object.is(got[i], want[i]), `element ${i}: ${String(got[i])} for ${String(want[i])}`).toBe(true);
};

test('numbers, then a value that is not one in the middle of a chunk, then numbers again: in order, every chunk', async () => {
  const xs = Array.from({ length: 5_000 }, (_, i) => i);
  // Chunks of 300: the strings fall mid-chunk in some, not at all in others.
  const f = (x: number): unknown => (x % 1_000 === 450 ? `s${x}` : x % 7 === 0 ? x / 2 : x * 3);
  for (let job = 0; job < 3; job++) {
    same(await io.from(xs).parallel(2, { chunk: 300 }).map(f).collect().completion(), xs.map(f));
  }
});

test('a step that makes more outputs than its chunk had inputs, one that makes none, -0 and NaN', async () => {
  const xs = Array.from({ length: 2_000 }, (_, i) => i - 1_000);
  const many = (x: number): number[] => [x, x + 0.5, x * 2, -x];
  same(await io.from(xs).parallel(2, { chunk: 128 }).flatMap(many).collect().completion(), xs.flatMap(many));
  same(await io.from(xs).parallel(2, { chunk: 128 }).grep((x: number) => x > 5_000).collect().completion(), []);
  const odd = (x: number): number => (x === 0 ? -0 : x % 11 === 0 ? NaN : x);
  same(await io.from(xs).parallel(2, { chunk: 128 }).map(odd).collect().completion(), xs.map(odd));
});

test('int32 values and values beyond int32 in one chunk come back exact', async () => {
  const xs = Array.from({ length: 3_000 }, (_, i) => i);
  const f = (x: number): number => (x % 2 ? 2 ** 31 + x : -(2 ** 31) + x);
  same(await io.from(xs).parallel(2, { chunk: 512 }).map(f).collect().completion(), xs.map(f));
});
