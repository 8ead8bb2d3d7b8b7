// `pushback -j N`: the same output as one thread, byte for byte, on the sample
// and on files made to be awkward (lines longer than a part, CRLF, no final
// newline, fewer lines than parts, runs of equal lines across the seams); the
// notes when it runs on one thread; errors in a part; bounded memory when a
// part is far ahead of the one being printed. Runs the bundle, whose worker
// threads run the bundle itself (test/cli/bundle.ts).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mulberry32 as random } from '../../engine/scheduler.js';
import { PART_CREDIT, partCount } from '../../bin/jobs.js';
import { cutIntoParts } from '../../bin/file-parts.js';
import { useBundle } from './bundle.js';

const bundle = useBundle('pushback-jobs-');
const scratch = bundle.scratch;

function file(name: string, bytes: string | Buffer): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

/** Lines "LEVEL word NUMBER padding": some of them longer than a part of the file, and runs of equal lines. */
function awkwardLines(seed: number, count: number): string[] {
  const next = random(seed);
  const lines: string[] = [];
  while (lines.length < count) {
    const level = next() < 0.2 ? 'ERROR' : next() < 0.5 ? 'heartbeat' : 'INFO';
    const long = next() < 0.02 ? 'x'.repeat(20_000 + Math.floor(next() * 60_000)) : 'é'.repeat(Math.floor(next() * 20));
    const line = `${level} w${Math.floor(next() * 50)} ${Math.floor(next() * 1000) - 200} ${long}`;
    const repeat = next() < 0.1 ? 1 + Math.floor(next() * 30) : 1;
    for (let i = 0; i < repeat; i++) lines.push(line);
  }
  return lines;
}

const PIPELINES: string[][] = [
  [],
  ['grep', 'ERROR'],
  ['grep', '-v', 'heartbeat', 'map', 'l => l.slice(0, 30)'],
  ['fields', '2'],
  ['grep', '-v', 'heartbeat', 'fields', '3', 'sum'],
  ['count'],
  ['grep', '-c', 'ERROR'],
  ['uniq'],
  ['fields', '1', 'uniq'],
  ['upper', 'grep', '-i', 'error', 'uniq'],
  ['take', '3'],
  ['grep', 'ERROR', 'take', '250'],
  ['filter', 'x.length % 3 === 0', 'count'],
];

/**
 * A part's messages count lines from the line where it starts and say so; for
 * jsonl as the first stage (its line numbers are the file's), the numbers they
 * stand for.
 */
function fromStartOfFile(stderr: string): string {
  return stderr.replace(/jsonl: line (\d+)(.*) \[-j part \d+: counted from line (\d+)\]/g, (_, line: string, rest: string, from: string) => `jsonl: line ${Number(line) + Number(from) - 1}${rest}`);
}

async function expectSameAsOneThread(path: string, stages: string[], jobs: number[] = [2, 3]): Promise<void> {
  const one = await bundle.cli.run([path, ...stages]);
  for (const j of jobs) {
    const many = await bundle.cli.run([`-j${j}`, path, ...stages]);
    expect({ j, stages, status: many.status, stderr: fromStartOfFile(many.stderr) }).toEqual({ j, stages, status: one.status, stderr: one.stderr });
    expect(many.bytes.equals(one.bytes), `-j${j} ${stages.join(' ')} on ${path}`).toBe(true);
  }
}

describe('pushback -j N prints what one thread prints', () => {
  it('on the sample log, for every kind of pipeline', async () => {
    const sample = (await bundle.cli.run(['--sample=30000'])).bytes;
    const path = file('sample.log', sample);
    for (const stages of [...PIPELINES, ['grep', '-v', 'heartbeat', 'fields', '6', 'sum'], ['grep', 'ERROR', 'fields', '4', 'uniq']]) {
      await expectSameAsOneThread(path, stages);
    }
  }, 120_000);

  it('on lines longer than a part, CRLF line ends, and without a final newline', async () => {
    const lines = awkwardLines(7, 400);
    lines.splice(200, 0, `ERROR long 5 ${'y'.repeat(200_000)}`);
    const lf = `${lines.join('\n')}\n`;
    const files = [file('long.txt', lf), file('crlf.txt', lf.replace(/\n/g, '\r\n')), file('no-final-newline.txt', lf.slice(0, -1))];
    // The long lines do make parts that start inside them end there, and some parts empty.
    expect(cutIntoParts(files[0], Buffer.byteLength(lf), 16).some((p) => p.start === p.end)).toBe(true);
    for (const path of files) {
      for (const stages of PIPELINES) await expectSameAsOneThread(path, stages, [2, 5]);
    }
  }, 240_000);

  it('on a file large enough that the threads split each other\'s parts as they run', async () => {
    // 3,000,000 numbered lines (about 25 MB): parts of the first cut have more than the 1 MiB a split needs left.
    const path = file('numbered.txt', `${Array.from({ length: 3_000_000 }, (_, i) => `${i % 1000 === 0 ? 'ERROR' : 'INFO'} ${i}`).join('\n')}\n`);
    for (const stages of [[], ['grep', 'ERROR'], ['fields', '2', 'sum'], ['count'], ['uniq'], ['take', '600000']]) await expectSameAsOneThread(path, stages, [2, 3]);
  }, 120_000);

  it('with fewer lines than parts, one line, and an empty file', async () => {
    for (const [name, bytes] of [['two.txt', 'ERROR a 1\nINFO b 2\n'], ['one.txt', 'ERROR a 1'], ['empty.txt', '']]) {
      const path = file(name, bytes);
      for (const stages of [[], ['count'], ['grep', '-v', 'x', 'fields', '3', 'sum'], ['uniq'], ['take', '1']]) await expectSameAsOneThread(path, stages, [4]);
    }
  }, 60_000);

  it('across seams inside a run of equal lines (uniq keeps one)', async () => {
    const path = file('same.txt', 'same line\n'.repeat(5000) + 'other\n' + 'same line\r\n'.repeat(3000));
    await expectSameAsOneThread(path, ['uniq'], [2, 3, 7]);
    expect((await bundle.cli.run(['-j7', path, 'uniq'])).stdout).toBe('same line\nother\nsame line\n');
  }, 60_000);

  it('on JSON lines', async () => {
    const next = random(3);
    const records = Array.from({ length: 20_000 }, (_, n) => ({ n, level: next() < 0.1 ? 'ERROR' : 'INFO', ms: Math.floor(next() * 500), text: next() < 0.01 ? 'two\nlines' : `t${n % 7}` }));
    const path = file('records.jsonl', `${records.map((r) => JSON.stringify(r)).join('\n')}\n{"bad json\n`);
    for (const stages of [
      ['jsonl', 'grep', 'ERROR', 'map', 'x.ms'],
      ['jsonl', 'filter', 'x.ms > 250', 'map', 'x.text'],
      ['jsonl', 'map', 'x.ms', 'sum'],
      ['jsonl', 'count'],
      ['grep', 'ERROR', 'jsonl', 'map', '({ n: x.n, ms: x.ms })'],
    ]) await expectSameAsOneThread(path, stages);
  }, 120_000);
});

describe('how many parts', () => {
  it('one per thread when the totals are added (no thread waits for the merge), several when outputs are printed', async () => {
    // 12 MB: three parts of at least 4 MiB; a line at the end that neither a sum nor the map takes.
    const lines = Array.from({ length: 1_500_000 }, (_, i) => String(i).padStart(7, '0'));
    const path = file('parts.txt', `${lines.join('\n')}\noops\n`);
    const sum = await bundle.cli.run(['-j2', path, 'sum']);
    expect(sum.status).toBe(2);
    expect(sum.stderr).toMatch(/: not a number: "oops" \[-j part \d+: counted from line \d+\]\n$/);
    const map = await bundle.cli.run(['-j2', path, 'map', 'x => { if (x === "oops") throw new Error("no"); return x; }']);
    expect(map.status).toBe(2);
    expect(map.stderr).toMatch(/: Error: no \[-j part \d+: counted from line \d+\]\n$/);
    expect(partCount(12e6, 2, 1)).toBe(2);
    expect(partCount(12e6, 2)).toBe(3);
  }, 60_000);
});

describe('what -j promises about sums', () => {
  it('adds integers exactly, however they are cut', async () => {
    const next = random(11);
    const numbers = Array.from({ length: 30_000 }, () => Math.floor(next() * 2 ** 36) - 2 ** 35);
    const path = file('integers.txt', `${numbers.join('\n')}\n`);
    const expected = `${numbers.reduce((a, b) => a + b, 0)}\n`;
    for (const j of ['-j1', '-j2', '-j3', '-j8']) expect((await bundle.cli.run([j, path, 'sum'])).stdout).toBe(expected);
  }, 60_000);

  it('adds fractions as the sum of the parts\' sums, which may differ from one thread in the last digits', async () => {
    const path = file('tenths.txt', '0.1\n'.repeat(10));
    expect(partCount(40, 2)).toBe(2);
    expect(cutIntoParts(path, 40, 2)).toEqual([{ start: 0, end: 20 }, { start: 20, end: 40 }]);
    const half = file('tenths-half.txt', '0.1\n'.repeat(5));
    const partSum = Number((await bundle.cli.run([half, 'sum'])).stdout);
    expect((await bundle.cli.run([path, 'sum'])).stdout).toBe('0.9999999999999999\n');
    expect((await bundle.cli.run(['-j2', path, 'sum'])).stdout).toBe(`${partSum + partSum}\n`);
    expect((await bundle.cli.run(['-j2', path, 'sum'])).stdout).toBe('1\n');
  }, 60_000);
});

describe('when -j runs on one thread', () => {
  it('reads standard input in one piece and says so on one line', async () => {
    const r = await bundle.cli.run(['-j', '2', 'grep', 'a', 'count'], { stdin: 'a\nb\nca\n' });
    expect(r).toMatchObject({ status: 0, stdout: '2\n', stderr: 'pushback: -j 2: standard input is read in one piece; running on one thread\n' });
  });

  it('runs a stage that needs the whole stream on one thread, with a note, and the same output', async () => {
    const path = file('drop.txt', 'a\nb\nc\nd\n');
    for (const [stages, why] of [
      [['drop', '1'], 'drop 1 needs the whole stream in one place'],
      [['uniq', 'count'], 'uniq runs in parts only as the last stage'],
      [['map', 'x + "\\n"', 'take', '2'], 'take 2 runs in parts only on lines, not after map'],
      [['tr', '\\n', ' '], "tr '\\n' ' ' changes where lines end"],
    ] as const) {
      const one = await bundle.cli.run([path, ...stages]);
      const r = await bundle.cli.run(['--jobs=3', path, ...stages]);
      expect(r).toEqual({ ...one, stderr: `pushback: -j 3: ${why}; running on one thread\n` });
    }
  });

  it('refuses a count of threads that is not one to 256', async () => {
    for (const bad of [['-j0'], ['-j', 'x'], ['--jobs=257'], ['-j']]) {
      const r = await bundle.cli.run([...bad, 'count']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^pushback: (-j|--jobs): expected a number of threads from 1 to 256, got /);
    }
  });
});

describe('errors in a part', () => {
  it('report the stage and the record as one thread does, counted from the line where the part starts', async () => {
    const lines = Array.from({ length: 9000 }, (_, i) => (i === 7000 ? 'boom' : `line ${i + 1}`));
    const path = file('boom.txt', `${lines.join('\n')}\n`);
    const stages = ['map', 'x => { if (x === "boom") throw new Error("no"); return x.toUpperCase(); }'];
    const one = await bundle.cli.run([path, ...stages]);
    expect(one.status).toBe(2);
    expect(one.stderr).toMatch(/: record 7001: Error: no\n$/);
    const two = await bundle.cli.run(['-j2', path, ...stages]);
    expect(two.status).toBe(2);
    expect(two.bytes.equals(one.bytes)).toBe(true);
    const size = Buffer.byteLength(`${lines.join('\n')}\n`);
    expect(partCount(size, 2)).toBe(2);
    const start = cutIntoParts(path, size, 2)[1].start;
    const firstLine = readFileSync(path, 'utf8').slice(0, start).split('\n').length;
    expect(two.stderr).toBe(one.stderr.replace('record 7001', `record ${7001 - firstLine + 1}`).replace(/\n$/, ` [-j part 2: counted from line ${firstLine}]\n`));
    // In the first part the message is the one-thread message.
    const first = await bundle.cli.run(['-j4', path, 'map', 'x => { if (x === "line 3") throw new Error("no"); return x; }']);
    expect(first).toEqual({ ...(await bundle.cli.run([path, 'map', 'x => { if (x === "line 3") throw new Error("no"); return x; }'])) });
  }, 60_000);
});

const BIG_LINE = `${'0123456789'.repeat(9)}\n`;
let big: { path: string; content: Buffer } | undefined;

/** 48 MB of lines of 91 bytes. */
function bigFile(): { path: string; content: Buffer } {
  if (big === undefined) {
    const content = Buffer.from(BIG_LINE.repeat(Math.ceil((48 << 20) / BIG_LINE.length)));
    big = { path: file('big.txt', content), content };
  }
  return big;
}

describe('progress', () => {
  it('shows what all the threads have read of the file, and clears its line at the end', async () => {
    const { path, content } = bigFile();
    // Standard output takes nothing until a progress line shows bytes read: the run cannot end before one is due.
    let shown = false;
    const held: (() => void)[] = [];
    const out: Buffer[] = [];
    const stdout = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        out.push(Buffer.from(chunk));
        if (shown) callback();
        else held.push(callback);
      },
    });
    let said = '';
    const stderr = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        said += chunk.toString();
        // eslint-disable-next-line no-control-regex -- a progress line starts with the terminal's erase-line sequence
        if (!shown && [...said.matchAll(/\r\x1b\[K([\d.]+) MB \//g)].some((m) => Number(m[1]) > 0)) {
          shown = true;
          for (const go of held.splice(0)) go();
        }
        callback();
      },
    });
    const r = await bundle.cli.run(['-j2', '--progress', path], { stdout, stderr, stderrIsTTY: true });
    expect(r.status).toBe(0);
    expect(Buffer.concat(out).equals(content)).toBe(true);
    const size = (content.length / 1e6).toFixed(1);
    expect(said).toMatch(new RegExp(`^\\r\\x1b\\[K[\\d.]+ MB / ${size.replace('.', '\\.')} MB \\(\\d+%\\)  [\\d.]+ MB/s`));
    expect(said.endsWith('\r\x1b[K')).toBe(true);
  }, 120_000);
});

describe('memory', () => {
  it('threads far ahead of the part being printed wait, with at most their credit of output held', async () => {
    const { path, content } = bigFile();
    const out: Buffer[] = [];
    const held: (() => void)[] = [];
    // Standard output takes nothing until the threads have filled their credit.
    let stalled = true;
    const stdout = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        out.push(Buffer.from(chunk));
        if (stalled) held.push(callback);
        else callback();
      },
    });
    let most = 0;
    const r = await bundle.cli.run(['-j2', path], {
      stdout,
      observeParts: (queue) => {
        most = Math.max(most, queue.held);
        if (queue.held > PART_CREDIT && stalled) {
          stalled = false;
          for (const callback of held.splice(0)) callback();
        }
      },
    });
    expect(r.status).toBe(0);
    expect(Buffer.concat(out).equals(content)).toBe(true);
    // 48 MB went through; what waited at any time was each thread's credit and its last message (at most 4 MiB).
    expect(stalled).toBe(false);
    expect(most).toBeLessThanOrEqual(2 * (PART_CREDIT + (4 << 20)));
  }, 120_000);

  it('an output closed early (EPIPE) ends the run cleanly, with status 0', async () => {
    const { path } = bigFile();
    let writes = 0;
    const stdout = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        writes++;
        callback(writes > 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null);
      },
    });
    stdout.on('error', () => undefined);
    const r = await bundle.cli.run(['-j3', path, 'grep', '0'], { stdout });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(writes).toBe(2);
  }, 60_000);

  it('take N stops every part once N lines are out', async () => {
    const { path } = bigFile();
    const r = await bundle.cli.run(['-j3', path, 'take', '5']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe(BIG_LINE.repeat(5));
  }, 60_000);
});

/** The words of a command as a POSIX shell splits them: quotes, and `> FILE`, `< FILE` redirections. */
function shellWords(line: string): { words: string[]; stdout?: string; stdin?: string } {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)|(\s+)/g;
  let word: string | undefined;
  for (const m of line.matchAll(re)) {
    if (m[4] !== undefined) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + (m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]);
  }
  if (word !== undefined) words.push(word);
  const redirect = (sign: string): string | undefined => {
    const at = words.indexOf(sign);
    return at < 0 ? undefined : words.splice(at, 2)[1];
  };
  const stdout = redirect('>');
  const stdin = redirect('<');
  return { words, stdout, stdin };
}

describe('docs/cli.md, Many threads', () => {
  it('its examples print what the doc shows', async () => {
    const doc = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Many threads'), doc.indexOf('## Exit status'));
    const block = /```console\n([\s\S]*?)```/.exec(section)![1];
    const steps = block.split(/^\$ /m).slice(1);
    expect(steps.length).toBeGreaterThanOrEqual(6);
    const dir = mkdtempSync(join(scratch, 'doc-'));
    const inDir = (word: string): string => (/^[\w-]+\.log$/.test(word) ? join(dir, word) : word);
    for (const step of steps) {
      const [command, ...expected] = step.split('\n');
      const { words, stdout, stdin } = shellWords(command);
      expect(words[0]).toBe('pushback');
      const r = await bundle.cli.run(words.slice(1).map(inDir), { stdin: stdin === undefined ? undefined : readFileSync(inDir(stdin)) });
      if (stdout !== undefined) writeFileSync(inDir(stdout), r.bytes);
      expect({ command, printed: r.stderr + (stdout === undefined ? r.stdout : '') }).toEqual({ command, printed: expected.join('\n') });
    }
  }, 60_000);
});
