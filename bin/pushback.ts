#!/usr/bin/env node
// The `pushback` command (see bin/cli.ts and docs/cli.md).
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`pushback: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(2);
  },
);
