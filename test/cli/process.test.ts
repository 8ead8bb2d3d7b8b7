// The installed command as a real process: built with tsc into a scratch
// folder, run with real pipes. An output closed early ends with status 0; an
// unreadable file or a bad expression ends with status 2 and one clear line.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
// Inside node_modules, so that the built files resolve the project's dependencies.
const out = join(root, 'node_modules', '.cache', `pushback-cli-test-${process.pid}`);
const bin = join(out, 'bin', 'pushback.js');
const scratch = mkdtempSync(join(tmpdir(), 'pushback-bin-'));

beforeAll(() => {
  // tsc writes its output even when a file elsewhere in the project has a type error.
  spawnSync(process.execPath, [join(root, 'node_modules', '.bin', 'tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', out], { encoding: 'utf8' });
  if (!existsSync(bin)) throw new Error(`the build did not produce ${bin}`);
}, 120_000);

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
});

function pushback(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the pushback command', () => {
  it('is what package.json installs (bin/pushback.ts bundled by the build), with a shebang', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.bin.pushback).toBe('dist/bin/pushback.cjs');
    expect(pkg.scripts.build).toContain('esbuild bin/pushback.ts');
    expect(pkg.scripts.build).toContain('--outfile=dist/bin/pushback.cjs');
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('runs the README command on the built-in sample', () => {
    const r = pushback(['--sample', 'grep', '/ERROR/', 'map', 'l => l.slice(0, 60)', 'take', '5']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l).toMatch(/^\S+Z ERROR /);
  });

  it('reads a pipe on stdin', () => {
    const r = pushback(['grep', 'a', 'count'], 'a\nb\nca\n');
    expect(r).toEqual({ status: 0, stdout: '2\n', stderr: '' });
  });

  it('an output closed early (| head -1) ends cleanly with status 0', async () => {
    // Far more output than a pipe holds, so pushback is still writing when the reader goes away.
    const child = spawn(process.execPath, [bin, '--sample=400000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const first = await new Promise<string>((resolve) => {
      let got = '';
      child.stdout.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('\n')) {
          child.stdout.destroy();
          resolve(got.slice(0, got.indexOf('\n')));
        }
      });
    });
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(first).toMatch(/^2026-01-01T/);
    expect(status).toBe(0);
    expect(stderr).toBe('');
  });

  it('in a shell pipeline with head, the pipeline succeeds', () => {
    const out = execFileSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${bin}" --sample=400000 upper | head -n 2`], { encoding: 'utf8' });
    expect(out.split('\n')).toHaveLength(3);
  });

  it('-j 3 runs its workers from the compiled modules, with the output of one thread, and ends cleanly under head', () => {
    const file = join(scratch, 'jobs.log');
    writeFileSync(file, pushback(['--sample=30000']).stdout);
    const one = pushback([file, 'grep', '-v', 'heartbeat', 'map', 'l => l.slice(0, 40)']);
    const three = pushback(['-j', '3', file, 'grep', '-v', 'heartbeat', 'map', 'l => l.slice(0, 40)']);
    expect(three).toEqual(one);
    const out = execFileSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${bin}" -j2 "${file}" | head -n 2`], { encoding: 'utf8' });
    expect(out.split('\n')).toHaveLength(3);
  }, 60_000);

  it('an unreadable file: status 2 and a clear message', () => {
    const r = pushback([join(scratch, 'nope.log'), 'count']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`pushback: cannot read ${join(scratch, 'nope.log')}: no such file or directory\n`);
  });

  it('a bad expression: status 2 and a clear message', () => {
    const file = join(scratch, 'in.txt');
    writeFileSync(file, 'x\n');
    const r = pushback([file, 'map', 'l => l.(']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pushback: map 'l => l\.\(': cannot parse "l => l\.\(": Unexpected token at column 8\n/);
  });

  it('a bad stage: status 2 and a clear message', () => {
    const r = pushback(['--sample', 'count', 'frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pushback: unknown stage "frobnicate"/);
  });
});
