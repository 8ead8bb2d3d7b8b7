// Run as a separate Node process by new-process.test.ts: restores a snapshot
// and drives it to its end. argv: the snapshot file, then `key=expression`
// pairs naming the functions to pass again (each expression is one of the
// known transformations below, never code from the command line).
import { IO } from '../../api/io.js';
import '../../processes/index.js';

const known: Record<string, (line: string) => string> = {
  shout: (line) => `${line.toUpperCase()}!`,
};

const [file, ...pairs] = process.argv.slice(2);
const functions: Record<string, (line: string) => string> = {};
for (const pair of pairs) {
  const [key, name] = pair.split('=');
  functions[key] = known[name];
}
const restored = await IO.restore(file, { functions });
try {
  await restored.completion();
  process.stdout.write(JSON.stringify({ ok: true, failed: [...restored.failed.keys()] }));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message, failed: [...restored.failed.keys()] }));
}
