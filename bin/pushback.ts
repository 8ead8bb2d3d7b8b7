#!/usr/bin/env node
// The `pushback` command (see bin/cli.ts and docs/cli.md). `--help` is answered
// from the usage text alone, without loading the engine.
const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
  process.stdout.write((await import('./usage.js')).USAGE);
} else {
  const { main } = await import('./cli.js');
  main(argv).then(
    (status) => process.exit(status),
    (error: unknown) => {
      process.stderr.write(`pushback: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
