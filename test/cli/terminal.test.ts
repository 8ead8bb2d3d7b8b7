// isTerminal (bin/terminal.ts): a pipe, a file, /dev/null and a closed
// descriptor are not terminals, and only a character device is asked about.
// mayBeTerminal, the question without node:tty, is true for every character
// device: the command line takes that for a terminal until a progress line is due.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isatty } from 'node:tty';
import { isTerminal, mayBeTerminal } from '../../bin/terminal.js';

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

  it('may be a terminal: any character device, never a file or a closed descriptor', () => {
    const file = join(scratch, 'g');
    writeFileSync(file, 'x');
    const fd = openSync(file, 'r');
    expect(mayBeTerminal(fd)).toBe(false);
    closeSync(fd);
    expect(mayBeTerminal(fd)).toBe(false);
    const devNull = openSync('/dev/null', 'r');
    expect(mayBeTerminal(devNull)).toBe(true);
    closeSync(devNull);
    for (const fd of [0, 1, 2]) if (isatty(fd)) expect(mayBeTerminal(fd)).toBe(true);
  });
});
