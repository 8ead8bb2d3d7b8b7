// Builds transport/ and the test workers with tsc into a scratch folder, once
// per test file: a worker thread runs plain JavaScript, not the TypeScript
// vitest runs in the main thread.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** Compiles the files (paths from the project root) and returns the folder; `remove` cleans it up. */
export function buildForWorkers(files: readonly string[]): { dir: string; remove: () => void } {
  // Inside node_modules, so that the built files resolve the project's dependencies.
  const dir = join(root, 'node_modules', '.cache', `pushback-transport-test-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(process.execPath, [
    join(root, 'node_modules', '.bin', 'tsc'),
    '--outDir', dir, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
    '--skipLibCheck', '--types', 'node', '--strict', '--ignoreConfig',
    ...files.map((f) => join(root, f)),
  ], { encoding: 'utf8' });
  for (const f of files) {
    const out = join(dir, f.replace(/\.ts$/, '.js'));
    if (!existsSync(out)) throw new Error(`tsc did not build ${f}:\n${r.stdout}${r.stderr}`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
