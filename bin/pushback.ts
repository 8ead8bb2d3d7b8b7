#!/usr/bin/env node
// The `pushback` command (see bin/cli.ts and docs/cli.md). `--help` is answered
// from the usage text alone, without loading the engine. The installed bin is
// this file bundled as CommonJS (dist/bin/pushback.cjs), so that --help does
// not even start the ES module loader; everything else is one CommonJS bundle
// (dist/bin/cli.cjs), loaded when needed with the V8 code cache the build made
// for it (bin/code-cache.ts). Compiled by tsc alone (as the tests build it),
// this file is an ES module next to an unbundled cli.js, and imports that.
//
// With `-j N` (N > 1) the worker threads are started first of all, from a cheap
// look at the words (bin/job-threads.ts): a worker starts in about the time the
// main thread takes to load the command line, so both happen at once; the run
// gives them their orders, or stops them when it stays on one thread.
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { loadBundle } from './code-cache.js';
import { jobsAsked } from './jobs-asked.js';
import { USAGE } from './usage.js';

type Main = (argv: string[], given: { jobThreads?: Worker[] }) => Promise<number>;

/** Packages the build bundled on their own beside cli.cjs (scripts/build-cli.mjs): loaded only by the commands that use them. */
const BUNDLED_APART = ['acorn'];

const argv = process.argv.slice(2);

/** The command line's entry for a worker: the bundle next to this one, or the compiled cli.js next to this module. */
function cliEntry(): URL {
  // __dirname exists only in the CommonJS bundle; the ES module's own path is the script node was given.
  return typeof __dirname === 'string' ? pathToFileURL(join(__dirname, 'cli.cjs')) : pathToFileURL(join(dirname(process.argv[1]), 'cli.js'));
}

/** Workers for `-j N`, started before the command line loads; their module (and node:worker_threads) loaded only then. */
function startEarly(): Promise<Worker[]> {
  const jobs = jobsAsked(argv);
  return jobs > 1 ? import('./job-threads.js').then((threads) => threads.startEarlyJobThreads(jobs, cliEntry())) : Promise.resolve([]);
}

function loadMain(): Promise<Main> {
  // __dirname exists only in the CommonJS bundle.
  if (typeof __dirname === 'string') {
    const bundle = join(__dirname, 'cli.cjs');
    return Promise.resolve(loadBundle(bundle, `${bundle}.cache`, BUNDLED_APART).exports.main as Main);
  }
  return import('./cli.js').then((cli) => cli.main);
}

if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
  process.stdout.write(USAGE);
} else {
  // The workers first: loading the bundle below takes the main thread for a while.
  startEarly()
    .then(async (jobThreads) => (await loadMain())(argv, { jobThreads }))
    .then(
      (status) => process.exit(status),
      (error: unknown) => {
        process.stderr.write(`pushback: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
        process.exit(2);
      },
    );
}
