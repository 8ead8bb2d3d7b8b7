// The command line as a separate Node process, for checkpoint.test.ts (bundled with esbuild).
import { main } from '../../bin/cli.js';

main(process.argv.slice(2)).then((status) => process.exit(status), (error: unknown) => {
  process.stderr.write(`internal error: ${String((error as Error).stack ?? error)}\n`);
  process.exit(3);
});
