#!/usr/bin/env node
// The `pushback` command (see bin/cli.ts and docs/cli.md). `--help` is answered
// from the usage text alone, without loading the engine. The installed bin is
// this file bundled as CommonJS (dist/bin/pushback.cjs), so that --help does
// not even start the ES module loader; everything else is one bundled module
// (dist/bin/cli.js), loaded when needed.
import { USAGE } from './usage.js';

const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
  process.stdout.write(USAGE);
} else {
  import('./cli.js')
    .then(({ main }) => main(argv))
    .then(
      (status) => process.exit(status),
      (error: unknown) => {
        process.stderr.write(`pushback: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
        process.exit(2);
      },
    );
}
