// The command line with --checkpoint, killed with SIGKILL at seeded random
// moments and resumed with --resume until it is done: its output file is
// byte-identical to an uninterrupted run's. Each kill comes a seeded random
// time after a new checkpoint appeared (so every attempt makes progress and the
// test ends); the output cannot depend on when the kill comes.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../engine/scheduler.js';
import { run } from '../cli/helpers.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'freezer-checkpoint-'));
const cli = join(root, 'node_modules', '.cache', `pushback-freezer-cli-${process.pid}.mjs`);

beforeAll(() => {
  buildSync({
    entryPoints: [join(root, 'test/freezer/cli-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: cli, logLevel: 'warning', external: ['playwright-core', 'elkjs'],
  });
});
afterAll(() => {
  rmSync(cli, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

// The map does some arithmetic per line, so that the run lasts long enough to be killed several times.
const stages = ['grep', 'beta', 'map', 'l => { let h = l.length; for (let i = 0; i < 3000; i++) h = (h * 31 + i) | 0; return l.toUpperCase() + "|" + h; }'];

function bigInput(path: string, seed: number): void {
  const r = mulberry32(seed);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  const lines: string[] = [];
  for (let i = 0; i < 400_000; i++) lines.push(`${i} ${words[Math.floor(r() * 5)]} ${words[Math.floor(r() * 5)]} ${Math.floor(r() * 1e6)}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}

const mtime = (file: string): number => (existsSync(file) ? statSync(file).mtimeMs : -1);

/** One attempt: runs until done, or is killed a random time after a checkpoint newer than `after` appears. */
function attempt(args: string[], out: string, append: boolean, kill: { checkpoint: string; after: number; delay: number } | undefined): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  const fd = openSync(out, append ? 'a' : 'w');
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let watching: NodeJS.Timeout | undefined;
  if (kill) {
    const watch = (): void => {
      if (mtime(kill.checkpoint) !== kill.after) watching = setTimeout(() => child.kill('SIGKILL'), kill.delay);
      else watching = setTimeout(watch, 5);
    };
    watch();
  }
  return new Promise((resolve) => {
    child.on('exit', (status, signal) => {
      clearTimeout(watching);
      resolve({ status, signal, stderr });
    });
  });
}

describe('--checkpoint and --resume', () => {
  it('killed with SIGKILL several times and resumed, the output is byte-identical', async () => {
    const input = join(dir, 'in.txt');
    bigInput(input, 11);
    const expectedFile = join(dir, 'expected.txt');
    const fd = openSync(expectedFile, 'w');
    const plain = spawnSync(process.execPath, [cli, input, ...stages], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    expect(plain.status, String(plain.stderr)).toBe(0);
    const expected = readFileSync(expectedFile);
    expect(expected.length).toBeGreaterThan(1 << 20);

    for (const seed of [1, 2]) {
      const r = mulberry32(seed);
      const checkpoint = join(dir, `run-${seed}.checkpoint`);
      const out = join(dir, `out-${seed}.txt`);
      let kills = 0;
      let resumes = 0;
      for (let round = 0; ; round++) {
        expect(round, 'attempts').toBeLessThan(20);
        const resuming = existsSync(checkpoint);
        const args = resuming ? ['--resume', checkpoint] : ['--checkpoint', checkpoint, '--every', '20ms', input, ...stages];
        if (resuming) resumes++;
        const kill = kills < 4 ? { checkpoint, after: mtime(checkpoint), delay: Math.floor(r() * 100) } : undefined;
        const result = await attempt(args, out, resuming, kill);
        if (result.signal === 'SIGKILL') {
          kills++;
          continue;
        }
        expect(result.status, result.stderr).toBe(0);
        break;
      }
      expect(kills, `seed ${seed}`).toBeGreaterThan(0);
      expect(resumes).toBeGreaterThan(0);
      // A complete run removes its checkpoint.
      expect(existsSync(checkpoint)).toBe(false);
      const got = readFileSync(out);
      expect(got.length, `seed ${seed}: ${kills} kills`).toBe(expected.length);
      expect(got.equals(expected), `seed ${seed}: ${kills} kills`).toBe(true);
    }
  }, 120_000);

  it('refuses to resume into an output shorter than the committed length, naming both', async () => {
    const input = join(dir, 'short-in.txt');
    bigInput(input, 12);
    const checkpoint = join(dir, 'short.checkpoint');
    const out = join(dir, 'short-out.txt');
    const first = await attempt(['--checkpoint', checkpoint, '--every', '20ms', input, ...stages], out, false, { checkpoint, after: -1, delay: 0 });
    // Killed as soon as its first checkpoint appeared, long before its 400,000 lines are through.
    expect(first.signal).toBe('SIGKILL');
    // Resumed with `>` instead of `>>`: the shell emptied the file.
    const again = await attempt(['--resume', checkpoint], out, false, undefined);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^pushback: --resume: standard output holds 0 bytes, fewer than the \d+ the checkpoint committed \(append to the same file: >> out\.txt\)/);
  }, 60_000);

  it('refuses --checkpoint and --resume without the process\'s own standard output', async () => {
    for (const argv of [['--checkpoint', join(dir, 'y.checkpoint'), '--sample=10', 'take', '1'], ['--resume', join(dir, 'y.checkpoint')]]) {
      const r = await run(argv);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^pushback: --checkpoint and --resume need the process's own standard output\n/);
    }
  });

  it('refuses a checkpoint when standard output is not a file', () => {
    const r = spawnSync(process.execPath, [cli, '--checkpoint', join(dir, 'x.checkpoint'), '--sample=10', 'take', '1'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--checkpoint: standard output must be a file \(> out\.txt\)/);
  });
});
