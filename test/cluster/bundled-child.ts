// Runs a TypeScript entry of this repository that needs the engine as a
// separate Node process. child.ts transpiles a handful of files one by one;
// a host holding ports needs the engine, the JIT and the processes, so here
// the entry is bundled with everything of ours it imports (packages stay
// imports) into one file inside node_modules, where the packages resolve.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = join(root, 'node_modules', '.cache', 'pushback-port-hosts');

/** Bundles `entry` (a path from the repository root); returns the bundle's path. */
export function bundle(entry: string): string {
  const out = join(cache, String(process.pid), entry.replace(/\.ts$/, '.mjs'));
  mkdirSync(dirname(out), { recursive: true });
  buildSync({ entryPoints: [join(root, entry)], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
  return out;
}

export function removeBundles(): void {
  const mine = join(cache, String(process.pid));
  if (relative(cache, mine).startsWith('..')) throw new Error(`refusing to remove ${mine}`);
  rmSync(mine, { recursive: true, force: true });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface HostChild {
  process: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix` (rejects if the child exits first). */
  line(prefix: string): Promise<string>;
  /** Every stdout line so far. */
  lines(): string[];
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** Writes one line to the child's stdin. */
  send(line: string): void;
  /** Resolves with the exit code once the child has exited. */
  exited: Promise<number | null>;
  kill9(): Promise<void>;
}

/** Runs the bundle `file` with `args`; `env` adds to (or replaces in) this process's environment. */
export function runBundle(file: string, args: string[], env: Record<string, string> = {}): HostChild {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdin!.on('error', () => undefined); // a killed child's stdin: nothing to say
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      children.delete(child);
      done(code);
    }),
  );
  return {
    process: child,
    exited,
    lines: () => stdout.split('\n').filter((l) => l !== ''),
    stderr: () => stderr,
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
    line(prefix) {
      return new Promise((resolveLine, reject) => {
        const look = (): boolean => {
          const found = stdout.split('\n').find((l) => l.startsWith(prefix));
          if (found !== undefined) resolveLine(found);
          return found !== undefined;
        };
        if (look()) return;
        child.stdout!.on('data', look);
        void exited.then(() => look() || reject(new Error(`${file} ${args[0]} exited (${child.exitCode ?? child.signalCode}) before printing "${prefix}":\n${stderr}`)));
      });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
