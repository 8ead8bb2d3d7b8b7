// Regression: fields split on JavaScript's \s, so a form feed, a no-break space
// or a byte order mark separated fields where awk sees none. White space is
// what it is to awk: space, tab and newline.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, missing, oracle, tempFile } from '../cli/tools.js';

const text = 'a\fb c\n\u00a0x y\u00a0z\n\ufeffone two\n  lead\ttab   trail  \n\x0bv\x0bw x\n\n';

describe(`fields splits where awk does${missing('mawk')}`, () => {
  const file = tempFile(text);
  for (const [list, script] of [
    ['1', '{print $1}'],
    ['2', '{print $2}'],
    ['1,3', '{print $1, $3}'],
  ] as const) {
    it.skipIf(!installed('mawk'))(`fields ${list} == mawk '${script}'`, async () => {
      const got = await run([file, 'fields', list]);
      expect(got.stdout).toBe(oracle(`mawk '${script}' "$F"`, file).toString());
    });
  }

  it('a form feed is not a separator', async () => {
    expect((await run(['fields', '1'], 'a\fb c\n')).stdout).toBe('a\fb\n');
  });
});
