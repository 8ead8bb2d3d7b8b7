// Module references as the functions of parallel steps: a function that uses
// names of its own module (a table, an import) cannot travel as source text,
// but marked as a module's export (byReference) it travels as that reference,
// and each worker imports it after checking that it resolves in the worker's
// project folder, in the version the sender had. A worker that cannot refuses
// the job with everything that is missing listed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { importFunction } from '../../api/parallel.js';
import { byReference, referenceOf } from '../../freezer/references.js';
import { mulberry32 } from '../../engine/scheduler.js';

let root: string;
let io: IO;
/** The package's exports as this thread imports them. */
let tools: { scale: (x: number) => number; keep: (x: number) => boolean; label: (x: number) => string; add: (a: number, x: number) => number };

// The functions use a table and a helper of their module: neither is a standard global, so their text is not portable.
const TOOLS = `
const table = [3, 1, 4, 1, 5, 9, 2, 6];
function pick(x) { return table[((x % table.length) + table.length) % table.length]; }
export const scale = (x) => x * pick(x);
export const keep = (x) => pick(x) > 2;
export const label = (x) => \`\${x}:\${pick(x)}\`;
export const add = (a, x) => a + pick(x);
`;

beforeAll(async () => {
  // The workers' project folder: text-tools 1.2.3 installed.
  root = mkdtempSync(join(tmpdir(), 'pushback-parallel-modules-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'host', version: '0.0.1', type: 'module' }));
  const dir = join(root, 'node_modules', 'text-tools');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'text-tools', version: '1.2.3', type: 'module', exports: './index.js' }));
  writeFileSync(join(dir, 'index.js'), TOOLS);
  tools = (await import(pathToFileURL(join(dir, 'index.js')).href)) as typeof tools;
  for (const name of ['scale', 'keep', 'label', 'add'] as const) byReference(tools[name], 'text-tools', name, root);
  io = new IO({ workers: 2, workerRoot: root });
});

afterAll(async () => {
  await io.close();
  rmSync(root, { recursive: true, force: true });
});

describe('module references as parameters of parallel steps', () => {
  it('marks the functions with the version installed on this host', () => {
    expect(referenceOf(tools.scale)).toEqual({ module: 'text-tools', export: 'scale', version: '1.2.3' });
  });

  it('a map, filter and fold by reference on 2 workers equal one thread, on seeded random inputs', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const r = mulberry32(seed);
      const xs = Array.from({ length: 2000 + Math.floor(r() * 3000) }, () => Math.floor(r() * 2000) - 1000);
      const one = io.from(xs).map(tools.scale).filter(tools.keep).map(tools.label).collect().run();
      const many = await io.from(xs).parallel(2, { chunk: 97 }).map(tools.scale).filter(tools.keep).map(tools.label).collect().completion();
      expect(many, `seed ${seed}`).toEqual(one);
      const total = io.from(xs).fold(tools.add, 0).run();
      const parts = await io.from(xs).parallel(2, { chunk: 97 }).fold(tools.add, 0, { combine: (a, b) => a + b }).completion();
      expect(parts, `seed ${seed}`).toBe(total);
    }
  });

  it('a reference and a portable function mix in one parallel section', async () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const many = await io.from(xs).parallel(2, { chunk: 64 }).map((x: number) => x - 500).map(tools.scale).collect().completion();
    expect(many).toEqual(xs.map((x) => tools.scale(x - 500)));
  });

  it('importFunction imports an export with the workers\' check and marks it', async () => {
    const scale = await importFunction<(x: number) => number>('text-tools', 'scale', root);
    expect(scale).toBe(tools.scale);
    expect(referenceOf(scale)).toEqual({ module: 'text-tools', export: 'scale', version: '1.2.3' });
    await expect(importFunction('text-tools', 'halve', root)).rejects.toThrow("module 'text-tools@1.2.3' has no export 'halve'");
  });

  it('without the mark, the same function is refused as not portable when the chain is built', () => {
    const unmarked = (x: number): number => tools.scale(x);
    expect(() => io.from([1]).parallel(2).map(unmarked)).toThrow(/uses `tools`/);
  });

  it('a worker refuses a job whose module is not installed, a package in another version, or a missing export, listing them all', async () => {
    const missing = byReference((x: number) => String(x).padStart(3), { module: 'left-pad', export: 'default', version: '1.3.0' });
    const newer = byReference((s: string) => s, { module: 'text-tools', export: 'scale', version: '9.0.0' });
    const absent = byReference((s: string) => s.length, { module: 'text-tools', export: 'halve', version: '1.2.3' });
    const error = await io.from([1, 2, 3]).parallel(2).map(missing).map(newer).map(absent).collect().completion().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.name).toBe('MissingDependenciesError');
    expect(error?.message).toMatch(/^map, map, map on host \d+: this host cannot run it; missing:\n/);
    expect(error?.message.split('\n').slice(1)).toEqual([
      "  - module 'left-pad' (package left-pad@1.3.0) is not installed",
      '  - package text-tools@9.0.0 is needed, but text-tools@1.2.3 is installed',
      "  - module 'text-tools@1.2.3' has no export 'halve'",
    ]);
  });

  it('a wrong version alone refuses the job before any element is run', async () => {
    let ran = 0;
    const newer = byReference((x: number) => x, { module: 'text-tools', export: 'scale', version: '2.0.0' });
    const error = await io.from(Array.from({ length: 5000 }, (_, i) => i)).parallel(2, { chunk: 100 }).map(newer).each(() => void ran++).completion().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain('package text-tools@2.0.0 is needed, but text-tools@1.2.3 is installed');
    expect(ran).toBe(0);
  });
});
