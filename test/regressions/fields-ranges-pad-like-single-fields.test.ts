// Regression: a missing single field printed as an empty field (as in awk),
// but a closed range stopped at the last field, so `fields 2-4` and
// `fields 2,3,4` gave different lines. A closed range pads like single fields;
// an open range (5-) ends at the last field.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, missing, oracle, tempFile } from '../cli/tools.js';

describe(`closed field ranges pad like single fields${missing('mawk')}`, () => {
  const file = tempFile('a b\none\na b c d e\n');
  it('2-4 is 2,3,4', async () => {
    const range = await run([file, 'fields', '2-4']);
    const list = await run([file, 'fields', '2,3,4']);
    expect(range.stdout).toBe(list.stdout);
    expect(range.stdout).toBe('b  \n  \nb c d\n');
  });

  it.skipIf(!installed('mawk'))('as mawk prints $2, $3, $4', async () => {
    expect((await run([file, 'fields', '2-4'])).stdout).toBe(oracle('mawk \'{print $2, $3, $4}\' "$F"', file).toString());
  });

  it('an open range ends at the last field', async () => {
    expect((await run([file, 'fields', '2-'])).stdout).toBe('b\n\nb c d e\n');
  });
});
