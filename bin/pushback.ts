#!/usr/bin/env node
// The `pushback` command (see bin/cli.ts and docs/cli.md). `--help` is answered
// from the usage text alone, without loading the engine. The installed bin is
// this file bundled as CommonJS (dist/bin/pushback.cjs), so that --help does
// not even start the ES module loader; everything else is one CommonJS bundle
// (dist/bin/cli.cjs), loaded when needed with the V8 code cache the build made
// for it (bin/code-cache.ts). Compiled by tsc alone (as the tests build it),
// this file is an ES module next to an unbundled cli.js, and imports that.
import { join } from 'node:path';
import { loadBundle } from './code-cache.js';
import { USAGE } from './usage.js';

type Main = (argv: string[]) => Promise<number>;

/** Packages the build bundled on their own beside cli.cjs (scripts/build-cli.mjs): loaded only by the commands that use them. */
const BUNDLED_APART = ['acorn'];

const argv = process.argv.slice(2);

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
  loadMain()
    .then((main) => main(argv))
    .then(
      (status) => process.exit(status),
      (error: unknown) => {
        process.stderr.write(`pushback: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
        process.exit(2);
      },
    );
}
