// Runs a TypeScript module of this repository as a separate Node process.
// Node 20 does not run TypeScript, and building the whole project for one test
// costs tens of seconds, so the few files a child needs are transpiled one by
// one (types dropped, nothing checked: the type check runs on its own) into a
// folder inside node_modules, where the children still resolve the packages.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Transpiles `files` (paths from the repository root) into a fresh folder; returns it. */
export function transpile(files: string[]): string {
  const out = join(root, 'node_modules', '.cache', 'pushback-cluster-children', String(process.pid));
  rmSync(out, { recursive: true, force: true });
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    const { code: outputText } = transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: file });
    const target = join(out, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return out;
}

/** `entry` and every module it imports through relative paths, transitively (paths from the repository root). */
export function withImports(entry: string): string[] {
  const found = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (found.has(file)) continue;
    found.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    for (const m of source.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)\.js'/g)) {
      queue.push(relative(root, resolve(root, dirname(file), `${m[1]}.ts`)));
    }
  }
  return [...found];
}

export function removeTranspiled(out: string): void {
  if (relative(join(root, 'node_modules', '.cache'), out).startsWith('..')) throw new Error(`refusing to remove ${out}`);
  rmSync(out, { recursive: true, force: true });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface Child {
  process: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix` (rejects if the child exits first). */
  line(prefix: string): Promise<string>;
  kill9(): Promise<void>;
}

export function runChild(out: string, file: string, args: string[]): Child {
  const child = spawn(process.execPath, [join(out, file.replace(/\.ts$/, '.js')), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    children.delete(child);
    resolve();
  }));
  return {
    process: child,
    line(prefix) {
      return new Promise((resolve, reject) => {
        const look = (): boolean => {
          const found = stdout.split('\n').find((l) => l.startsWith(prefix));
          if (found !== undefined) resolve(found);
          return found !== undefined;
        };
        if (look()) return;
        child.stdout!.on('data', look);
        void exited.then(() => look() || reject(new Error(`${file} exited (${child.exitCode ?? child.signalCode}) before printing "${prefix}":\n${stderr}`)));
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
