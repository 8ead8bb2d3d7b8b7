// The page's script. `npm run build` bundles inspect/page/ with esbuild into
// dist/inspect/page.js, next to the compiled server, which serves it as it is.
// Run from the sources (the tests), there is no such file: the same bundle is
// then built in memory with esbuild, a development dependency.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

let bundle: Promise<string> | undefined;

export function pageBundle(): Promise<string> {
  return (bundle ??= load());
}

/** esbuild's options for the page, shared by the build script (inspect/build-page.ts). */
export const PAGE_BUILD = { bundle: true, minify: true, format: 'iife', target: 'es2020', platform: 'browser', legalComments: 'none' } as const;

async function load(): Promise<string> {
  try {
    // dist/inspect/page.js, found the same way from dist/inspect/ and from the
    // command line's bundle in dist/bin/, which carries this module inside it.
    return await readFile(new URL('../inspect/page.js', import.meta.url), 'utf8');
  } catch {
    const { build } = await import('esbuild');
    const built = await build({ ...PAGE_BUILD, entryPoints: [fileURLToPath(new URL('./page/main.ts', import.meta.url))], write: false });
    return built.outputFiles[0].text;
  }
}
