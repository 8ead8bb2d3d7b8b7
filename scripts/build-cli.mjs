// Builds the command line's bundle and its V8 code cache (run by `npm run build`,
// after tsc). bin/cli.ts and everything it imports become one CommonJS file,
// dist/bin/cli.cjs: CommonJS because only a classic script can be compiled with a
// code cache (node:vm's Script); bin/code-cache.ts loads it. The cache is made
// here, by loading the bundle the way the bin does, so it holds the code of every
// function that ran while the bundle loaded. It fits only the Node version (and
// V8 flags) that ran this build; any other Node rejects it and compiles the
// bundle from its source.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundleFile = `${root}dist/bin/cli.cjs`;

await build({
  entryPoints: [`${root}bin/cli.ts`],
  outfile: bundleFile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // The sources are ES modules, strict by definition; as CommonJS they say so.
  // import.meta.url has no CommonJS form: the bundle's own file URL stands in,
  // as it did for the modules inside an ES module bundle.
  banner: { js: '"use strict";\nconst importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': 'importMetaUrl' },
  // Only for building the inspector's page in memory when dist/inspect/page.js is
  // missing (a development fallback): not part of the command.
  external: ['esbuild'],
  // and loaded with require(): node:vm runs a script's import() only behind a flag.
  supported: { 'dynamic-import': false },
});

// tsc has compiled bin/code-cache.ts to dist/bin/code-cache.js by now.
const { loadBundle } = await import(new URL('../dist/bin/code-cache.js', import.meta.url).href);
const { script } = loadBundle(bundleFile, `${bundleFile}.cache-none`);
writeFileSync(`${bundleFile}.cache`, script.createCachedData());
