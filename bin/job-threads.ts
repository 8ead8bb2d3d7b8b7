// Starting the worker threads of `pushback -j N` (bin/jobs.ts). A worker runs
// `jobThread` of the command line's entry (bin/cli.ts): it loads the command
// line, then waits for its order (a PartOrder, bin/job-worker.ts) as its first
// message.
//
// A worker takes a while to start (Node's own start in the thread, then the
// command line's bundle): longer than the main thread takes to load the command
// line. So bin/pushback.ts starts the workers first thing, from a cheap look at
// the words (bin/jobs-asked.ts), and they start while the main thread loads and
// parses; the run hands them their orders once its plan exists, or stops them
// when the plan says one thread (bin/cli.ts). Tests and the library run the
// command line in process (bin/cli.ts main), where bin/jobs.ts starts the
// workers itself.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WRAPPER_HEAD, WRAPPER_TAIL } from './code-cache.js';

/** The most workers started before the plan is known: a mistaken look at the words costs at most these. */
const MOST_EARLY_WORKERS = 15;

/**
 * Starts a worker on the command line's entry: `entry` is the bundle
 * (dist/bin/cli.cjs), loaded the way bin/code-cache.ts loads it on the main
 * thread, with the V8 code cache the build made for it (the same wrapper, so
 * that V8 accepts the cache); or a compiled ES module (bin/cli.js), imported.
 */
export function startJobThread(entry: URL): Worker {
  if (!entry.pathname.endsWith('.cjs')) return new Worker(`import(${JSON.stringify(entry.href)}).then((cli) => cli.jobThread());`, { eval: true });
  const file = fileURLToPath(entry);
  const loader = `"use strict";
const { readFileSync } = require('node:fs');
const { Script } = require('node:vm');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const file = ${JSON.stringify(file)};
let cachedData;
try { cachedData = readFileSync(file + '.cache'); } catch { cachedData = undefined; }
const script = new Script(${JSON.stringify(WRAPPER_HEAD)} + readFileSync(file, 'utf8') + ${JSON.stringify(WRAPPER_TAIL)}, { filename: file, cachedData });
const module = { exports: {} };
script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
module.exports.jobThread();`;
  return new Worker(loader, { eval: true });
}

/**
 * Starts the workers a run of `-j jobs` may need (jobs - 1, at most
 * MOST_EARLY_WORKERS), before the command line is loaded. A worker that fails
 * to start is left to the run, which starts another if it needs the thread.
 */
export function startEarlyJobThreads(jobs: number, entry: URL): Worker[] {
  const workers: Worker[] = [];
  const n = Math.min(jobs - 1, MOST_EARLY_WORKERS);
  for (let t = 0; t < n; t++) {
    const worker = startJobThread(entry);
    // Until the run takes it over, an error must not end the process: the run sees that the thread is gone.
    worker.on('error', () => undefined);
    workers.push(worker);
  }
  return workers;
}
