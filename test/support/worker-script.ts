// Vitest's global setup: builds the worker script for tests that use a
// container's workers (new IO({ workers }), chain.parallel). A worker thread
// runs JavaScript, and under vitest the modules are TypeScript sources, so
// the pool cannot find a built worker-container.js next to them. esbuild
// bundles worker-container.ts and everything it imports into one file (0.27 s
// on this machine under load, against 1.5 s for tsc over the same files, and
// no TypeScript loader to start in every worker), and the pool is told where
// it is (transport/worker-pool.ts).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { WORKER_SCRIPT_VARIABLE } from '../../transport/worker-pool.js';

const root = new URL('../..', import.meta.url).pathname;

export default function setup(): () => void {
  // Inside node_modules, so that the bundle resolves the project's dependencies (kept external).
  const dir = join(root, 'node_modules', '.cache', `pushback-workers-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'worker-container.mjs');
  buildSync({
    entryPoints: [join(root, 'transport', 'worker-container.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  process.env[WORKER_SCRIPT_VARIABLE] = outfile;
  return () => rmSync(dir, { recursive: true, force: true });
}
