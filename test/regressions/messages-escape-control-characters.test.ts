// Regression: a file name (or an argument) with control characters was printed
// as it is in messages, so it could move the cursor, clear the line or forge a
// message of its own. Messages show such characters as escapes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/; // eslint-disable-line no-control-regex -- what must not be printed

describe('messages escape control characters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pushback-names-'));
  it('in a file name', async () => {
    const got = await run([join(dir, 'evil\x1b[2K\rname\npushback: fake\u202e.log'), 'count']);
    expect(got.status).toBe(2);
    expect(got.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(got.stderr).not.toMatch(CONTROL);
    expect(got.stderr).toContain('evil\\x1b[2K\\rname\\npushback: fake\\u202e.log');
  });

  it('in a stage argument', async () => {
    const got = await run(['take', '1', 'x\x07\x9b']);
    expect(got.status).toBe(2);
    expect(got.stderr).not.toMatch(CONTROL);
    expect(got.stderr).toContain('x\\u0007\\x9b');
  });

  it('in a pattern', async () => {
    const got = await run(['grep', '(\x1b']);
    expect(got.status).toBe(2);
    expect(got.stderr).not.toMatch(CONTROL);
  });

  it('in a bad JSON line', async () => {
    const got = await run(['jsonl'], '{\x1b[31m\x7f\n');
    expect(got.stderr).not.toMatch(CONTROL);
  });
});
