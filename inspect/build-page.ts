// npm run build: bundles the inspector's page into dist/inspect/page.js.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { PAGE_BUILD } from './bundle.js';

const root = new URL('../../', import.meta.url); // this file runs as dist/inspect/build-page.js
await build({ ...PAGE_BUILD, entryPoints: [fileURLToPath(new URL('inspect/page/main.ts', root))], outfile: fileURLToPath(new URL('dist/inspect/page.js', root)) });
