// Loading the command line's CommonJS bundle (dist/bin/cli.cjs) with the V8 code
// cache that `npm run build` made for it (dist/bin/cli.cjs.cache). Compiling the
// bundle is a large part of start-up; with the cache V8 takes the compiled code
// instead, for the functions that ran when the cache was made. V8 checks the
// cache against its own version, its flags and the source's length, and rejects
// one that does not fit (another Node version, a flag such as --expose-gc, a
// damaged file): the bundle is then compiled from its source as usual, only
// slower. The build writes the bundle and its cache together, from one source.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export interface LoadedBundle {
  readonly exports: Record<string, unknown>;
  /** The compiled script, from which the build makes the cache. */
  readonly script: Script;
  /** Whether V8 used the cache: false when there was none or it was rejected. */
  readonly cacheUsed: boolean;
}

// The same wrapper Node puts around a CommonJS module (a worker of -j loads the bundle with it too: bin/jobs.ts).
export const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const WRAPPER_TAIL = '\n});';

/** Runs the CommonJS file `bundleFile` as Node's loader would, with the code cache in `cacheFile` if it fits. */
export function loadBundle(bundleFile: string, cacheFile: string): LoadedBundle {
  const source = readFileSync(bundleFile, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined; // no cache (not built yet, or removed): compile from the source
  }
  const script = new Script(WRAPPER_HEAD + source + WRAPPER_TAIL, { filename: bundleFile, cachedData });
  const cacheUsed = cachedData !== undefined && script.cachedDataRejected === false;
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, dirname(bundleFile));
  return { exports: module.exports, script, cacheUsed };
}
