// Every chain built with a function checked it with acorn again, on the
// sending thread and on each worker, for every job of parallel(): a few
// hundred microseconds each time on the way to a job's first chunk. A text
// that passed is now kept (with the text to send); refusals are not, and
// what depends on the function object (bound, native) is still asked.
import * as acorn from 'acorn';
import { expect, test, vi } from 'vitest';
import { checkPortable, NotPortableError } from '../../transport/portable.js';

vi.mock('acorn', async (importOriginal) => {
  const original = await importOriginal<typeof acorn>();
  return { ...original, parse: vi.fn(original.parse) };
});

test('a text that passed is parsed once; its result is the same every time', () => {
  const parse = vi.mocked(acorn.parse);
  const f = (x: number): number => Math.imul(x, 0x2c1b3c6d) + 17;
  parse.mockClear();
  const first = checkPortable(f, 'map#1 \'f\'');
  const parses = parse.mock.calls.length;
  expect(parses).toBeGreaterThan(0);
  expect(checkPortable(f, 'map#2 \'f\'')).toEqual(first);
  expect(checkPortable(first.source, 'map on host 2 \'f\'')).toEqual(first);
  expect(parse.mock.calls.length).toBe(parses);
});

test('a refusal is made again every time, naming its process', () => {
  const outside = 3;
  const g = (x: number): number => x * outside;
  for (const label of ['map#1 \'f\'', 'map#2 \'f\'']) {
    let error: unknown;
    try {
      checkPortable(g, label);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotPortableError);
    expect((error as NotPortableError).process).toBe(label);
    expect((error as NotPortableError).freeName).toBe('outside');
  }
});

test('a bound function is refused even when its target\'s text passed', () => {
  const h = function (this: unknown, x: number): number { return x + 1; };
  expect(checkPortable(h, 'map#1 \'f\'').source).toContain('x + 1');
  expect(() => checkPortable(h.bind(null), 'map#2 \'f\'')).toThrow(/bound function/);
});
