// Regression: a grep argument that parsed as a function was run as code with
// full Node access, so `pushback log grep "$query"` could write files where
// `grep "$query"` cannot. grep takes patterns only; predicates are `filter`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { tempFile } from '../cli/tools.js';

describe('grep takes patterns, never code', () => {
  const file = tempFile('x => 1\nplain\n(x) => true\nfunction () {}\n');
  const marker = join(dirname(file), 'written-by-grep');
  const payloads = [
    `x => (process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), true)`,
    `(x) => { process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); return true }`,
    `function (x) { process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); return true }`,
    `async x => process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`,
  ];
  for (const payload of payloads) {
    it(`grep ${payload.slice(0, 30)}... is a pattern`, async () => {
      const got = await run([file, 'grep', '-F', payload]);
      const regex = await run([file, 'grep', payload]);
      expect(existsSync(marker)).toBe(false);
      expect(got.status).toBe(0);
      expect(got.stdout).toBe('');
      // As a regular expression it is either invalid (an error) or matches nothing here.
      expect(regex.stdout).toBe('');
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('text that looks like a function is matched as text', async () => {
    expect((await run([file, 'grep', '-F', '(x) => true'])).stdout).toBe('(x) => true\n');
    expect((await run([file, 'grep', 'x => 1'])).stdout).toBe('x => 1\n');
  });

  it('filter runs predicates', async () => {
    expect((await run([file, 'filter', 'x => x.length > 6'])).stdout).toBe('(x) => true\nfunction () {}\n');
    expect((await run([file, 'filter', 'x.startsWith("p")'])).stdout).toBe('plain\n');
    expect(readFileSync(file, 'utf8')).toContain('plain');
  });

  it('a broken filter expression is a parse error with its column', async () => {
    const got = await run([file, 'filter', 'x => x.length >']);
    expect(got.status).toBe(2);
    expect(got.stderr).toMatch(/^pushback: filter 'x => x.length >': cannot parse .* at column 16/);
  });
});
