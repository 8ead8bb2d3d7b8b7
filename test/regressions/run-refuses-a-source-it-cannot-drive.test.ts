// run() drives array sources synchronously. A source that reads later (an
// async iterable, a file, the merge of parallel()) had nothing yet, and run()
// used to return the empty result as if the stream were empty.
import { afterEach, expect, test } from 'vitest';
import { IO } from '../../api/io.js';

let io: IO | undefined;
afterEach(async () => {
  await io?.close();
  io = undefined;
});

test('run() on a chain from an async iterable refuses, naming the source; completion() gives everything', async () => {
  io = new IO();
  async function* numbers(): AsyncGenerator<number> {
    yield 1;
    yield 2;
  }
  expect(() => io!.fromAsync(numbers()).map((x: number) => x * 10).collect().run()).toThrow(/input#\d+: read asynchronously, so run\(\) cannot drive it; use completion\(\)/);
  expect(await io.fromAsync(numbers()).map((x: number) => x * 10).collect().completion()).toEqual([10, 20]);
});

test('run() on a parallel chain refuses, naming the merge; completion() gives everything', async () => {
  io = new IO({ workers: 2 });
  const chain = () => io!.from([1, 2, 3]).parallel(2).map((x: number) => x * 2);
  expect(() => chain().collect().run()).toThrow(/parallel#\d+: read asynchronously/);
  expect(await chain().collect().completion()).toEqual([2, 4, 6]);
});

test('run() on array sources still returns the whole result', () => {
  io = new IO();
  expect(io.from([1, 2, 3]).map((x: number) => x + 1).collect().run()).toEqual([2, 3, 4]);
});
