// Regression: a bad argument was reported as something else: `fields 1,` said
// `unknown stage "1,"`, and `--on-error skip` (with a space) was an unknown
// stage. Errors now name the stage and the argument, or the option.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';

describe('errors point at the argument', () => {
  const cases: [string[], RegExp][] = [
    [['fields', '1,'], /^pushback: fields: "1," is not a list of field numbers/],
    [['fields', '2-x'], /^pushback: fields: "2-x" is not a list of field numbers/],
    [['fields', '3-1'], /^pushback: fields: "3-1" is not a valid field range/],
    [['take', '-1'], /^pushback: take: expected a whole number, got "-1"/],
    [['--frob'], /^pushback: unknown option --frob/],
    [['count', '--frob'], /^pushback: unknown option --frob/],
    [['grep', '-Z', 'x'], /^pushback: grep: unknown option -Z/],
    [['--on-error', 'sometimes', 'count'], /^pushback: --on-error: expected abort, skip or retry:N, got "sometimes"/],
    [['--sample=many'], /^pushback: --sample: expected a number of lines, got "many"/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' '), async () => {
      const got = await run(argv, 'a b c\n');
      expect(got.status).toBe(2);
      expect(got.stdout).toBe('');
      expect(got.stderr).toMatch(message);
    });
  }

  it('--on-error takes its value after a space too', async () => {
    const got = await run(['--on-error', 'skip', 'map', 'x === "b" ? null.x : x'], 'a\nb\nc\n');
    expect(got.status).toBe(0);
    expect(got.stdout).toBe('a\nc\n');
  });
});
