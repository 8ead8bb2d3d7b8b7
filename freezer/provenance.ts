// Which package a definition comes from, as `name@version`: the snapshot's
// header lists it for every definition it uses, so that a reader can tell
// what it needs before it rebuilds anything.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This engine's package, found by walking up from this module (the source tree and dist/ both work). */
function findEngine(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (name === 'pushback-ts') return `${name}@${version ?? '0.0.0'}`;
    }
    if (dirname(dir) === dir) return 'pushback-ts@unknown';
  }
}

/** `pushback-ts@<version>`: the package every built-in definition comes from. */
export const ENGINE_PACKAGE = findEngine();

/** What a definition the engine does not ship is said to come from: the caller must supply it at restore. */
export const CALLER_PACKAGE = 'caller';
