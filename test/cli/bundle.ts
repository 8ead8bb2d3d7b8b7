// The command line as `npm run build` bundles it (one CommonJS file, as
// scripts/build-cli.mjs makes it, without the code cache), built from the
// current sources into a scratch folder and run in this process with its
// streams captured. `-j` needs it: its worker threads run the bundle itself.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import type { Streams } from '../../bin/cli.js';
import type { Result } from './helpers.js';

const root = new URL('../..', import.meta.url).pathname;

type Main = (argv: string[], streams: Partial<Streams>) => Promise<number>;

export interface Bundle {
  file: string;
  run(argv: string[], options?: { stdin?: string | Buffer; stdout?: Writable; stderr?: Writable; stderrIsTTY?: boolean; observeParts?: Streams['observeParts']; jobThreads?: Streams['jobThreads'] }): Promise<Result>;
  remove(): void;
}

/** Builds the bundle (a second or so; it holds its dependencies) into a scratch folder. */
export async function buildBundle(): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'pushback-bundle-'));
  const file = join(dir, 'cli.cjs');
  await build({
    entryPoints: [join(root, 'bin', 'cli.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: `"use strict";\nconst importMetaUrl = require("node:url").pathToFileURL(__filename).href;` },
    define: { 'import.meta.url': 'importMetaUrl' },
    external: ['esbuild'],
    supported: { 'dynamic-import': false },
  });
  const main = (createRequire(import.meta.url)(file) as { main: Main }).main;
  return {
    file,
    async run(argv, options = {}) {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const sink = (into: Buffer[]) => new Writable({
        write(chunk: Buffer, _encoding, callback) {
          into.push(Buffer.from(chunk));
          callback();
        },
      });
      const status = await main(argv, {
        stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
        stdout: options.stdout ?? sink(out),
        stderr: options.stderr ?? sink(err),
        stderrIsTTY: options.stderrIsTTY ?? false,
        observeParts: options.observeParts,
        jobThreads: options.jobThreads,
      });
      const bytes = Buffer.concat(out);
      return { status, stdout: bytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), bytes };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file: the bundle, built before its tests and removed after them,
 * and a scratch folder (named from `prefix`) removed with it.
 */
export function useBundle(prefix: string): { readonly cli: Bundle; readonly scratch: string } {
  let cli: Bundle | undefined;
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(async () => {
    cli = await buildBundle();
  }, 60_000);
  afterAll(() => {
    cli?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });
  return {
    get cli(): Bundle {
      if (cli === undefined) throw new Error('the bundle is built before the tests run');
      return cli;
    },
    scratch,
  };
}
