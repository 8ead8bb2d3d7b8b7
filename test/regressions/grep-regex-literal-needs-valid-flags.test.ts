// Regression: any argument of the form /.../letters was read as a regex
// literal, so `grep /var/log/syslog` searched for "var/log" with the "flags"
// syslog (and failed or matched the wrong lines). /RE/FLAGS is a literal only
// with valid JavaScript flags; anything else is a pattern as a whole.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { tempFile } from '../cli/tools.js';

describe('/RE/FLAGS only with valid flags', () => {
  const file = tempFile('opened /var/log/syslog\nvar/log alone\nERROR x\nerror y\n/usr/ here\n');
  it('/var/log/syslog is a pattern', async () => {
    const got = await run([file, 'grep', '/var/log/syslog']);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe('opened /var/log/syslog\n');
  });

  it('/error/i is a regular expression with the i flag', async () => {
    expect((await run([file, 'grep', '/error/i'])).stdout).toBe('ERROR x\nerror y\n');
  });

  it('repeated or unknown flags make it a plain pattern', async () => {
    expect((await run([file, 'grep', '/error/ii'])).stdout).toBe('');
    expect((await run([file, 'grep', '/error/x'])).stdout).toBe('');
  });

  it('-F matches a slash-delimited text as it is', async () => {
    expect((await run([file, 'grep', '-F', '/usr/'])).stdout).toBe('/usr/ here\n');
  });

  it('an invalid regular expression points at the pattern', async () => {
    const got = await run([file, 'grep', 'a(b']);
    expect(got.status).toBe(2);
    expect(got.stderr).toMatch(/^pushback: grep: "a\(b" is not a valid regular expression: .*\(use -F for a fixed string\)/);
  });
});
