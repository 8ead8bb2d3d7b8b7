// Regression: upper and lower after a record stage used Unicode case (ß became
// SS, é became É) although the documentation says ASCII; on bytes they were
// ASCII. Now they are ASCII everywhere.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, oracle, tempFile } from '../cli/tools.js';

describe('upper and lower are ASCII wherever they stand', () => {
  const text = 'straße café ǅ İSTANBUL ﬁx Ωmega abcXYZ\n';
  const file = tempFile(text);
  for (const [stages, script] of [
    [['upper'], 'tr a-z A-Z < "$F"'],
    [['take', '1', 'upper'], 'tr a-z A-Z < "$F"'],
    [['grep', 'a', 'upper'], 'tr a-z A-Z < "$F"'],
    [['lower'], 'tr A-Z a-z < "$F"'],
    [['take', '1', 'lower'], 'tr A-Z a-z < "$F"'],
  ] as [string[], string][]) {
    it.skipIf(!installed('tr'))(`${stages.join(' ')} == ${script}`, async () => {
      const got = await run([file, ...stages]);
      expect(got.bytes.equals(oracle(script, file))).toBe(true);
    });
  }

  it.skipIf(!installed('tr'))('on large inputs too (many chunks, non-ASCII here and there)', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) lines.push(i % 97 === 0 ? `straße ÿ µ é ${i} MiXeD` : `plain ascii line ${i} with Some Words`);
    const big = tempFile(`${lines.join('\n')}\n`);
    for (const [stage, script] of [['upper', 'tr a-z A-Z'], ['lower', 'tr A-Z a-z']]) {
      const got = await run([big, stage]);
      expect(got.bytes.equals(oracle(`${script} < "$F"`, big))).toBe(true);
    }
  });

  it('a line that is not UTF-8 keeps its other bytes', async () => {
    const got = await run([tempFile(Buffer.from([0x61, 0xe9, 0x62, 0x0a])), 'take', '1', 'upper']);
    expect([...got.bytes]).toEqual([0x41, 0xe9, 0x42, 0x0a]);
  });
});
