// The classic tools as oracles: run a shell script on bytes, and say whether a
// tool is installed (tests that need one are skipped with a line naming its
// package when it is not).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function installed(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Why a test is skipped, naming the package to install. */
export function missing(tool: string, pkg = tool): string {
  return installed(tool) ? '' : ` (skipped: ${tool} is not installed; apt-get install ${pkg})`;
}

/** The stdout of a shell script (status ignored), as bytes; $F is the file. */
export function oracle(script: string, file: string, locale = 'C'): Buffer {
  const r = spawnSync('sh', ['-c', script], { env: { ...process.env, LC_ALL: locale, F: file }, maxBuffer: 64 << 20 });
  return r.stdout;
}

/** Writes bytes to a fresh temporary file. */
export function tempFile(bytes: string | Buffer, name = 'in.txt'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pushback-')), name);
  writeFileSync(file, bytes);
  return file;
}

export { execFileSync };
