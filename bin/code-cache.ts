// Loading the command line's CommonJS bundle (dist/bin/cli.cjs) with the V8 code
// cache that `npm run build` made for it (dist/bin/cli.cjs.cache). Compiling the
// bundle is a large part of start-up; with the cache V8 takes the compiled code
// instead, for the functions that ran when the cache was made. V8 checks the
// cache against its own version, its flags and the source's length, and rejects
// one that does not fit (another Node version, a flag such as --expose-gc, a
// damaged file): the bundle is then compiled from its source as usual, only
// slower. The build writes the bundle and its cache together, from one source.
// A package that only some commands need (acorn: expressions) is a bundle of its
// own beside it, with its own cache, loaded when the command line first requires it.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

export interface LoadedBundle {
  readonly exports: Record<string, unknown>;
  /** The compiled script, from which the build makes the cache. */
  readonly script: Script;
  /** Whether V8 used the cache: false when there was none or it was rejected. */
  readonly cacheUsed: boolean;
  /** The sibling bundles loaded so far (the build makes their caches from these). */
  readonly siblings: ReadonlyMap<string, LoadedBundle>;
}

// The same wrapper Node puts around a CommonJS module (a worker of -j loads the bundle with it too: bin/jobs.ts).
export const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const WRAPPER_TAIL = '\n});';

/**
 * Runs the CommonJS file `bundleFile` as Node's loader would, with the code cache
 * in `cacheFile` if it fits. `siblings` names packages that the build bundled on
 * their own next to it (`<name>.cjs`, with `<name>.cjs.cache`): the bundle's
 * require of one loads that file, with its cache, on first use. Where the file
 * is missing the package is required from node_modules as usual.
 */
export function loadBundle(bundleFile: string, cacheFile: string, siblings: readonly string[] = []): LoadedBundle {
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
  const loaded = new Map<string, LoadedBundle>();
  wrapper.call(module.exports, module.exports, requireFor(bundleFile, siblings, loaded), module, bundleFile, dirname(bundleFile));
  return { exports: module.exports, script, cacheUsed, siblings: loaded };
}

/** Node's require for `bundleFile`, except that the packages in `siblings` come from their own bundles beside it. */
function requireFor(bundleFile: string, siblings: readonly string[], loaded: Map<string, LoadedBundle>): NodeJS.Require {
  const plain = createRequire(bundleFile);
  if (siblings.length === 0) return plain;
  const bundled = (id: string): unknown => {
    if (!siblings.includes(id)) return plain(id);
    let sibling = loaded.get(id);
    if (sibling === undefined) {
      const file = join(dirname(bundleFile), `${id}.cjs`);
      if (!existsSync(file)) return plain(id);
      sibling = loadBundle(file, `${file}.cache`);
      loaded.set(id, sibling);
    }
    return sibling.exports;
  };
  return Object.assign(bundled, plain);
}
