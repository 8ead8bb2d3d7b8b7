// Builds the command line's bundle and its V8 code cache (run by `npm run build`,
// after tsc). bin/cli.ts and everything it imports become one CommonJS file,
// dist/bin/cli.cjs: CommonJS because only a classic script can be compiled with a
// code cache (node:vm's Script); bin/code-cache.ts loads it. The cache is made
// here, by loading the bundle the way the bin does, so it holds the code of every
// function that ran while the bundle loaded. It fits only the Node version (and
// V8 flags) that ran this build; any other Node rejects it and compiles the
// bundle from its source.
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundleFile = `${root}dist/bin/cli.cjs`;
/** Packages bundled apart, beside the bundle (bin/pushback.ts passes the same list to loadBundle). */
const APART = ['acorn'];

// Node's built-in modules that only some commands use (the freezer's zlib and v8,
// the inspector's http and crypto, workers): modules that the engine imports at
// its top level, so they would load with every command. In the bundle each is
// required on the first use of one of its members instead. That holds where the
// bundle reaches the module only through member accesses (`import_node_v8.serialize`,
// how esbuild writes named imports); anywhere else it stays an ordinary require.
// node:tty (which loads node:net), node:stream and node:fs/promises are needed by a
// plain pipeline only in its less common forms (a terminal, a Node stream, a file
// read through the thread pool).
//
// acorn too: it is a bundle of its own, dist/bin/acorn.cjs with its code cache,
// that bin/pushback.ts hands to this one's require (bin/code-cache.ts). Its
// module sets up tables of Unicode ranges when it loads (about 2 ms, a tenth of
// the command's own start), and only a stage with a JavaScript expression (map,
// filter) or a snippet not analysed at build time parses anything; the byte
// stages never do. Run without bin/pushback.ts, the bundle requires acorn from
// node_modules.
const LAZY_BUILTINS = ['node:v8', 'node:zlib', 'node:http', 'node:crypto', 'node:worker_threads', 'node:inspector', 'node:tty', 'node:stream', 'node:fs/promises', 'acorn'];
const lazyBuiltin = 'const lazyBuiltin = (name) => { let loaded; const load = () => (loaded ??= require(name)); '
  + 'return new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() }); };';

function makeBuiltinsLazy() {
  let code = readFileSync(bundleFile, 'utf8');
  for (const name of LAZY_BUILTINS) {
    const assignment = new RegExp(`\\b(import_[A-Za-z0-9_$]+) = require\\("${name}"\\);`, 'g');
    const bindings = [...code.matchAll(assignment)].map((m) => m[1]);
    // A dynamic import() of the module (`__toESM(require(...))`, run when reached) loads nothing at the start.
    const requires = code.split(`require("${name}")`).length - 1 - (code.split(`__toESM(require("${name}")`).length - 1);
    const onlyMembers = bindings.every((b) => {
      const pattern = b.replace(/\$/g, '\\$');
      const uses = code.split(new RegExp(`\\b${pattern}\\b`)).length - 1;
      const members = code.split(new RegExp(`\\b${pattern}\\.`)).length - 1;
      // The declaration and the assignment (one statement in a module at the bundle's top), and member accesses.
      const declared = new RegExp(`\\bvar ${pattern} = require\\(`).test(code) ? 1 : 2;
      return uses === members + declared;
    });
    if (bindings.length === 0 || bindings.length !== requires || !onlyMembers) continue;
    code = code.replace(assignment, `$1 = lazyBuiltin("${name}");`);
  }
  writeFileSync(bundleFile, code);
}

// esbuild writes the code in ASCII (charset 'ascii', its default) but copies some
// comments as they are, and three of them hold a × or a —. One such character
// makes V8 hold the whole 1 MB source as a two-byte string: it is decoded from
// UTF-8 rather than copied, takes twice the memory and is hashed and scanned
// more slowly at every start. Outside the code, the characters are spelled as
// escapes, which leave the comments readable.
function keepAscii(file) {
  const code = readFileSync(file, 'utf8');
  writeFileSync(file, code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

// The analysis of every snippet of the library, made now so that the command
// does not parse them when its definitions load (codegen/snippet.ts). The
// definitions are those of the modules the bundle holds; tsc has compiled them
// to dist/ by now, and loading them records what their snippets parse to. A
// snippet missing here (a module not loaded below) is parsed when defined.
const { recordSnippetAnalyses } = await import(new URL('../dist/codegen/snippet.js', import.meta.url).href);
const analyses = recordSnippetAnalyses();
for (const module of ['bin/cli.js', 'bin/expressions.js', 'bin/checkpoint.js']) await import(new URL(`../dist/${module}`, import.meta.url).href);
// The package the bundle belongs to, as transport/dependencies.ts would find it walking up from dist/bin/.
const { name: packageName, version: packageVersion } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const enginePackage = `var PUSHBACK_ENGINE_PACKAGE = ${JSON.stringify(`${packageName}@${packageVersion ?? '0.0.0'}`)};`;
// A JSON text in a string: JSON.parse reads it faster than V8 builds the same object literal.
const precomputedSnippets = `var PUSHBACK_PRECOMPUTED_SNIPPETS = JSON.parse(${JSON.stringify(JSON.stringify(Object.fromEntries(analyses)))});`;

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
  banner: { js: `"use strict";\nconst importMetaUrl = require("node:url").pathToFileURL(__filename).href;\n${lazyBuiltin}\n${enginePackage}\n${precomputedSnippets}` },
  define: { 'import.meta.url': 'importMetaUrl' },
  // esbuild: only for building the inspector's page in memory when
  // dist/inspect/page.js is missing (a development fallback), not part of the
  // command. The NATS client: the container reaches the cluster through a
  // dynamic import, run only when a program joins one, which the command line
  // never does; bundled, the client's 600 KB would be read and compiled at
  // every start. Left outside, it is required from node_modules when reached.
  external: ['esbuild', '@nats-io/*', ...APART],
  // and loaded with require(): node:vm runs a script's import() only behind a flag.
  supported: { 'dynamic-import': false },
});

makeBuiltinsLazy();
keepAscii(bundleFile);
for (const name of APART) {
  const file = `${root}dist/bin/${name}.cjs`;
  rmSync(`${file}.cache`, { force: true }); // a cache of the last build would be taken while this one's is made
  await build({ stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root }, outfile: file, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  keepAscii(file);
}

// tsc has compiled bin/code-cache.ts to dist/bin/code-cache.js by now.
const { loadBundle } = await import(new URL('../dist/bin/code-cache.js', import.meta.url).href);
// The siblings are loaded from their files, without a cache (none is there yet: `.cache-none`).
const { exports: cli, script, siblings } = loadBundle(bundleFile, `${bundleFile}.cache-none`, APART);

// V8 compiles a function when it first runs, and the cache holds only compiled
// functions: a few common commands run first (on a small file, their output
// dropped), so that the code that reads, frames and counts is in the cache too.
const scratch = mkdtempSync(join(tmpdir(), 'pushback-build-'));
try {
  const sample = join(scratch, 'sample.log');
  writeFileSync(sample, '2026-01-01T00:00:00.000Z ERROR api GET /a 500 12ms user=ann\n2026-01-01T00:00:01.000Z INFO web GET /b 200 3ms user=bob\n');
  const jsonSample = join(scratch, 'sample.jsonl');
  writeFileSync(jsonSample, '{"level":"ERROR","path":"/a"}\n{"level":"INFO","path":"/b"}\n');
  const drop = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  const commands = [['count'], ['grep', 'ERROR', 'count'], ['upper'], ['grep', '-v', 'heartbeat', 'fields', '6', 'sum']].map((stages) => [sample, ...stages]);
  commands.push([jsonSample, 'jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path']);
  commands.push([sample, 'map', 'l => l.length', 'filter', '(n) => n > 60']);
  for (const argv of commands) {
    const status = await cli.main(argv, { stdin: Readable.from([]), stdout: drop(), stderr: drop(), stderrIsTTY: false, services: false });
    if (status !== 0) throw new Error(`pushback ${argv.slice(1).join(' ')} ended with status ${status} while the code cache was made`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(`${bundleFile}.cache`, script.createCachedData());
for (const name of APART) {
  const sibling = siblings.get(name);
  if (sibling === undefined) throw new Error(`no command loaded ${name} while the code cache was made`);
  writeFileSync(`${root}dist/bin/${name}.cjs.cache`, sibling.script.createCachedData());
}
