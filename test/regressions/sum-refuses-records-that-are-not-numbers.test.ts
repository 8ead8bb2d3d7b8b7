// Regression: `sum` printed NaN and exited 0 when one record was not a number
// (a header line, "n/a", an empty field). Now it fails naming the record, or
// skips it with a warning under --on-error=skip.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';

describe('sum and records that are not numbers', () => {
  for (const bad of ['n/a', '', 'total', '1,5', 'NaN']) {
    it(`${JSON.stringify(bad)} stops the run with status 2, naming the record`, async () => {
      const got = await run(['sum'], `1\n2\n${bad}\n4\n`);
      expect(got.status).toBe(2);
      expect(got.stdout).toBe('');
      expect(got.stderr).toBe(`pushback: sum: record 3: not a number: ${JSON.stringify(bad)}\n`);
    });
  }

  it('an empty field from fields is not read as 0', async () => {
    const got = await run(['fields', '2', 'sum'], 'a 1\nb\nc 3\n');
    expect(got.status).toBe(2);
    expect(got.stderr).toMatch(/^pushback: sum: record 2: not a number: ""/);
  });

  for (const policy of [['--on-error=skip'], ['--on-error', 'skip']]) {
    it(`${policy.join(' ')} warns and goes on`, async () => {
      const got = await run([...policy, 'sum'], 'value\n1\n2.5\n n/a\n');
      expect(got.status).toBe(0);
      expect(got.stdout).toBe('3.5\n');
      expect(got.stderr).toBe('pushback: skipped: sum: record 1: not a number: "value"\npushback: skipped: sum: record 4: not a number: " n/a"\n');
    });
  }

  it('numbers are read as JavaScript reads them and printed as it prints them', async () => {
    expect((await run(['sum'], ' 0.1 \n0.2\n')).stdout).toBe('0.30000000000000004\n');
    expect((await run(['sum'], '1e3\n0x10\n-1\n')).stdout).toBe('1015\n');
  });
});
