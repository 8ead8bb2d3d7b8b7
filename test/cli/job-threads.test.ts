// The worker threads of `pushback -j N` started before the command line loads
// (bin/jobs-asked.ts, bin/job-threads.ts, as bin/pushback.ts does): the look at
// the words; a run that uses them prints what one thread prints; a run that
// stays on one thread, or needs fewer threads, stops them; a worker that died
// before the run does not hold it up. Runs the bundle (test/cli/bundle.ts), whose
// workers run the bundle itself.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { jobsAsked } from '../../bin/jobs-asked.js';
import { startEarlyJobThreads } from '../../bin/job-threads.js';
import { useBundle } from './bundle.js';

const bundle = useBundle('pushback-job-threads-');
const scratch = bundle.scratch;

/** Resolves when the worker has ended (at once if it has already). */
function ended(worker: Worker): Promise<void> {
  return worker.threadId < 0 ? Promise.resolve() : new Promise((resolve) => worker.once('exit', () => resolve()));
}

/** 9 MB of numbered lines: three parts of the file (none is under 4 MiB), so that a worker has a part to take. */
function numberedFile(): string {
  const path = join(scratch, 'numbers.txt');
  writeFileSync(path, Array.from({ length: 900_000 }, (_, i) => `${i} ${i % 7 === 0 ? 'seven' : 'other'} ${'x'.repeat(i % 5)}`).join('\n') + '\n');
  return path;
}

describe('jobsAsked: the number of threads the words ask for, at a glance', () => {
  it('reads -j N, -jN, --jobs N and --jobs=N, the first one given', () => {
    expect(jobsAsked(['-j', '3', 'f.log', 'count'])).toBe(3);
    expect(jobsAsked(['-j4', 'f.log'])).toBe(4);
    expect(jobsAsked(['f.log', '--jobs', '2', 'count'])).toBe(2);
    expect(jobsAsked(['--jobs=5', 'f.log'])).toBe(5);
    expect(jobsAsked(['-j2', '-j', '7'])).toBe(2);
  });

  it('is 1 without -j, and for what the parse will refuse', () => {
    expect(jobsAsked(['f.log', 'grep', 'x', 'count'])).toBe(1);
    expect(jobsAsked(['-j'])).toBe(1);
    expect(jobsAsked(['-j', 'x', 'f.log'])).toBe(1);
    expect(jobsAsked(['--jobs=', 'f.log'])).toBe(1);
    expect(jobsAsked(['-j0', 'f.log'])).toBe(1);
    expect(jobsAsked(['--jobsx=2', '-jx'])).toBe(1);
  });
});

describe('workers started before the command line loads', () => {
  it('are given the parts of the run, which prints what one thread prints, and end with it', async () => {
    const path = numberedFile();
    for (const stages of [['grep', 'seven'], ['fields', '1', 'sum'], ['uniq']]) {
      const one = await bundle.cli.run([path, ...stages]);
      const workers = startEarlyJobThreads(3, pathToFileURL(bundle.cli.file));
      expect(workers).toHaveLength(2);
      const many = await bundle.cli.run(['-j3', path, ...stages], { jobThreads: workers });
      expect({ status: many.status, stderr: many.stderr }).toEqual({ status: one.status, stderr: one.stderr });
      expect(many.bytes.equals(one.bytes), stages.join(' ')).toBe(true);
      await Promise.all(workers.map(ended));
    }
  }, 120_000);

  it('are stopped when the run stays on one thread', async () => {
    const workers = startEarlyJobThreads(2, pathToFileURL(bundle.cli.file));
    const r = await bundle.cli.run(['-j', '2', 'grep', 'a', 'count'], { stdin: 'a\nb\nca\n', jobThreads: workers });
    expect(r).toMatchObject({ status: 0, stdout: '2\n', stderr: 'pushback: -j 2: standard input is read in one piece; running on one thread\n' });
    await Promise.all(workers.map(ended));
  }, 60_000);

  it('are stopped when the file has fewer parts than threads', async () => {
    const path = join(scratch, 'small.txt');
    writeFileSync(path, 'a 1\nb 2\nc 3\n');
    const workers = startEarlyJobThreads(4, pathToFileURL(bundle.cli.file));
    expect(workers).toHaveLength(3);
    const r = await bundle.cli.run(['-j4', path, 'fields', '2', 'sum'], { jobThreads: workers });
    expect(r).toMatchObject({ status: 0, stdout: '6\n', stderr: '' });
    await Promise.all(workers.map(ended));
  }, 60_000);

  it('a worker that ended before the run does not hold it up (the other threads take its parts)', async () => {
    const path = numberedFile();
    const one = await bundle.cli.run([path, 'grep', '-c', 'seven']);
    const workers = startEarlyJobThreads(2, pathToFileURL(bundle.cli.file));
    await workers[0].terminate();
    expect(workers[0].threadId).toBe(-1);
    const r = await bundle.cli.run(['-j2', path, 'grep', '-c', 'seven'], { jobThreads: workers });
    expect(r).toEqual(one);
  }, 60_000);
});
