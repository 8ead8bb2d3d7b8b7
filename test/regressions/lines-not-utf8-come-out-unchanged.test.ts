// Regression: every stage that split lines decoded them as UTF-8, so a Latin-1
// byte became U+FFFD on the way out (a real Latin-1 file differed from
// `grep -a` at line 14), and uniq merged distinct lines. A line that passes
// through unchanged must come out as the bytes that came in.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, oracle, tempFile } from '../cli/tools.js';

const latin1 = Buffer.concat([
  Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('\n'),
  Buffer.from('caf'), Buffer.from([0xe8]), Buffer.from('\n'),
  Buffer.from('na'), Buffer.from([0xef]), Buffer.from('ve ERROR\r\n'),
  Buffer.from('half a character \xe2\x82 ERROR\n', 'latin1'),
  Buffer.from('utf-8 café ERROR\n'),
  Buffer.from([0xff, 0xfe, 0x0a]),
  Buffer.from('no newline at the end \xe9', 'latin1'),
]);

describe('lines that are not UTF-8 come out as they came in', () => {
  const file = tempFile(latin1);
  const cases: [string[], string][] = [
    [['grep', 'ERROR'], 'grep -a ERROR "$F"'],
    [['grep', '-v', 'ERROR'], 'grep -av ERROR "$F"'],
    [['grep', '-F', 'caf'], 'grep -aF caf "$F"'],
    [['uniq'], 'uniq "$F"'],
    [['take', '3'], 'head -n 3 "$F"'],
    [['drop', '4'], 'tail -n +5 "$F"'],
    [['fields', '1'], 'awk \'{print $1}\' "$F"'],
  ];
  for (const [stages, script] of cases) {
    it.skipIf(!installed('awk'))(`${stages.join(' ')} == ${script}`, async () => {
      const got = await run([file, ...stages]);
      expect(got.status).toBe(0);
      // \r\n ends a line like \n (the command line's framing); the oracle keeps the \r.
      expect(got.bytes.toString('latin1')).toBe(oracle(script, file).toString('latin1').replace(/\r\n/g, '\n').replace(/([^\n])$/, '$1\n'));
    });
  }

  it('uniq does not merge two different Latin-1 lines', async () => {
    const got = await run([tempFile(Buffer.from([0x61, 0xe9, 0x0a, 0x61, 0xe8, 0x0a, 0x61, 0xe8, 0x0a])), 'uniq', 'count']);
    expect(got.stdout).toBe('2\n');
  });

  it('an expression still sees text (bad bytes as U+FFFD)', async () => {
    const got = await run([file, 'take', '1', 'map', 'x.length']);
    expect(got.stdout).toBe('4\n');
  });
});
