// isTerminal (bin/terminal.ts): a pipe, a file, /dev/null and a closed
// descriptor are not terminals, and only a character device is asked about.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isatty } from 'node:tty';
import { isTerminal } from '../../bin/terminal.js';

const scratch = mkdtempSync(join(tmpdir(), 'pushback-terminal-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('isTerminal', () => {
  it('is false for a regular file, /dev/null and a closed descriptor', () => {
    const file = join(scratch, 'f');
    writeFileSync(file, 'x');
    const fd = openSync(file, 'r');
    expect(isTerminal(fd)).toBe(false);
    closeSync(fd);
    expect(isTerminal(fd)).toBe(false);
    const devNull = openSync('/dev/null', 'r');
    expect(isTerminal(devNull)).toBe(false);
    closeSync(devNull);
  });

  it('agrees with node:tty on the descriptors this test runs with', () => {
    for (const fd of [0, 1, 2]) expect(isTerminal(fd)).toBe(isatty(fd));
  });
});
