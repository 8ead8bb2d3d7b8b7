// Regression: tr '[:lower:]' '[:upper:]', tr '[:digit:]' X and tr '\012' ' '
// silently did something else (the brackets and colons were taken as bytes,
// the octal escape as the digits). Now the sets are read as GNU tr reads them,
// and what is not supported is refused with a clear error.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, oracle, tempFile } from '../cli/tools.js';

const text = 'Hello, World! 0123456789 a-b_c [x] :y: tab\there\nline two\r\n\x01\x7f end\n';

describe('tr sets as GNU tr reads them', () => {
  const file = tempFile(Buffer.from(text, 'latin1'));
  const cases: [string, string][] = [
    ['[:lower:]', '[:upper:]'],
    ['[:upper:]', '[:lower:]'],
    ['[:upper:][:lower:]', '[:lower:][:upper:]'],
    ['[:digit:]', 'X'],
    ['[:alpha:]', '*'],
    ['[:alnum:]', '.'],
    ['[:space:]', '_'],
    ['[:blank:]', '-'],
    ['[:punct:]', 'P'],
    ['[:cntrl:]', '?'],
    ['[:xdigit:]', 'h'],
    ['[:graph:]', 'g'],
    ['[:print:]', 'p'],
    ['\\012', ' '],
    ['\\n\\t', '\\040\\101'],
    ['\\1411', 'q'],
    ['a-c', '\\060-\\062'],
    ['[a]', 'xyz'],
    ['[:', 'xy'],
    ['a\\-', 'xy'],
    ['\\\\', '/'],
  ];
  for (const [set1, set2] of cases) {
    it.skipIf(!installed('tr'))(`tr '${set1}' '${set2}'`, async () => {
      const got = await run([file, 'tr', set1, set2]);
      expect(got.stderr).toBe('');
      expect(got.bytes.toString('latin1')).toBe(oracle(`tr '${set1}' '${set2}' < "$F"`, file).toString('latin1'));
    });
  }

  const refused: [string, string, RegExp][] = [
    ['a-z', '[:upper:]', /\[:upper:\] must stand opposite \[:lower:\]/],
    ['abc', '[:digit:]', /only \[:lower:\] and \[:upper:\]/],
    ['[:nope:]', 'x', /invalid character class \[:nope:\]/],
    ['[=a=]', 'x', /equivalence classes/],
    ['a', '[x*3]', /repeats/],
    ['z-a', 'x', /range z-a is reversed/],
  ];
  for (const [set1, set2, message] of refused) {
    it(`tr '${set1}' '${set2}' is refused`, async () => {
      const got = await run(['tr', set1, set2], 'abc\n');
      expect(got.status).toBe(2);
      expect(got.stdout).toBe('');
      expect(got.stderr).toMatch(message);
    });
  }
});
