// Regression: `grep -c 1` and `grep -- -1` took the option as the pattern, and
// there was no -F or -e. grep now reads its options as GNU grep does (-v -i -F
// -x -w -c, -e PATTERN, -- PATTERN), compared here with GNU grep itself.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, missing, oracle, tempFile } from '../cli/tools.js';

const text = '-1 minus one\n1 one\n10 ten\na.b dot\naxb cross\nError here\nERROR there\nwords: erroring error\n-e dash e\n[x] brackets\n';

describe(`grep options as GNU grep reads them${missing('grep')}`, () => {
  const file = tempFile(text);
  const cases: [string[], string][] = [
    [['-c', '1'], "grep -c 1 \"$F\""],
    [['--', '-1'], "grep -- -1 \"$F\""],
    [['-e', '-1'], "grep -e -1 \"$F\""],
    [['-e-e'], "grep -e-e \"$F\""],
    [['-F', 'a.b'], "grep -F a.b \"$F\""],
    [['a.b'], "grep a.b \"$F\""],
    [['-F', '[x]'], "grep -F '[x]' \"$F\""],
    [['-v', '-i', 'error'], "grep -v -i error \"$F\""],
    [['-vi', 'error'], "grep -vi error \"$F\""],
    [['-ic', 'error'], "grep -ic error \"$F\""],
    [['-x', '1 one'], "grep -x '1 one' \"$F\""],
    [['-w', 'error'], "grep -w error \"$F\""],
    [['-e', 'ten', '-e', 'cross'], "grep -e ten -e cross \"$F\""],
    [['-F', 'ten\ncross'], "grep -F 'ten\ncross' \"$F\""],
    [['-c', 'nothing'], "grep -c nothing \"$F\""],
    [[''], "grep '' \"$F\""],
  ];
  for (const [args, script] of cases) {
    it.skipIf(!installed('grep'))(`grep ${args.join(' ')} == ${script}`, async () => {
      const got = await run([file, 'grep', ...args]);
      expect(got.stderr).toBe('');
      expect(got.stdout).toBe(oracle(script, file).toString());
    });
  }

  it('an option grep does not have is named, with a hint for dash patterns', async () => {
    const got = await run([file, 'grep', '-1']);
    expect(got.status).toBe(2);
    expect(got.stderr).toMatch(/^pushback: grep: unknown option -1 \(for a pattern that starts with "-", write grep -e -1 or grep -- -1\)/);
    expect((await run([file, 'grep', '-q', 'x'])).stderr).toMatch(/^pushback: grep: unknown option -q/);
  });
});
