// Regression: `fields -d '\t'` split on the two characters backslash and t.
// The separator takes the escapes of tr: \t is a tab, \NNN an octal byte.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, oracle, tempFile } from '../cli/tools.js';

describe('fields -d takes escapes', () => {
  const file = tempFile('a\tb\\tc\td\n1\t2\t3\n');
  it.skipIf(!installed('cut'))("-d '\\t' is a tab, as cut -f reads it", async () => {
    const got = await run([file, 'fields', '-d', '\\t', '2,3']);
    expect(got.stdout).toBe(oracle('cut -f2,3 "$F"', file).toString());
    expect(got.stdout).toBe('b\\tc\td\n2\t3\n');
  });

  it("-d '\\054' is a comma", async () => {
    expect((await run(['fields', '-d', '\\054', '2'], 'a,b,c\n')).stdout).toBe('b\n');
  });

  it('-d with nothing in it is refused', async () => {
    const got = await run(['fields', '-d', '', '2'], 'a\n');
    expect(got.status).toBe(2);
    expect(got.stderr).toMatch(/^pushback: fields: the separator after -d is empty/);
  });
});
