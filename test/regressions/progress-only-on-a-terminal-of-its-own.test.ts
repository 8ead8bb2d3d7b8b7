// Regression: progress went to stderr whenever asked, even when stderr was not
// a terminal or was the terminal that also showed the output; an error line
// was printed after the progress line without clearing it; and the clearing
// sequence was written even when no progress had been shown.
import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../bin/cli.js';
import { run } from '../cli/helpers.js';

function capture(into: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, callback) {
      into.push(chunk.toString());
      callback();
    },
  });
}

describe('progress', () => {
  afterEach(() => vi.useRealTimers());

  it('is not shown when stderr is not a terminal, even with --progress', async () => {
    const got = await run(['--progress', '--sample=50000', 'count'], '', { stderrIsTTY: false });
    expect(got.stderr).toBe('');
  });

  it('is not shown when stdout is the same terminal', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const got = run(['--progress', '--sample=50000', 'count'], '', { stderrIsTTY: true, stdoutSharesTerminal: true });
    vi.advanceTimersByTime(1000);
    expect((await got).stderr).toBe('');
  });

  it('writes nothing at all when nothing was shown', async () => {
    const got = await run(['--progress', '--sample=100', 'count'], '', { stderrIsTTY: true });
    expect(got.stderr).toBe('');
  });

  it('is cleared before an error line', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const err: string[] = [];
    const out: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let readFirst!: () => void;
    const firstRead = new Promise<void>((resolve) => {
      readFirst = resolve;
    });
    const stdin = Readable.from((async function* () {
      yield Buffer.from('1\n2\n');
      readFirst();
      await gate;
      yield Buffer.from('oops\n');
    })());
    const status = main(['--progress', 'sum'], { stdin, stdout: capture(out), stderr: capture(err), stderrIsTTY: true, stdoutSharesTerminal: false });
    await firstRead;
    vi.advanceTimersByTime(300);
    expect(err.join('')).toMatch(/^\r\x1b\[K\S/); // eslint-disable-line no-control-regex -- the terminal's erase-line sequence
    release();
    expect(await status).toBe(2);
    const text = err.join('');
    const message = text.indexOf('pushback: sum');
    expect(message).toBeGreaterThan(0);
    expect(text.slice(message - 4, message)).toBe('\r\x1b[K');
    expect(text.endsWith('not a number: "oops"\n')).toBe(true);
  });
});
