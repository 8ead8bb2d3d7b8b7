// Module references: the receiving host checks that the module is found, the
// package is the sender's version and the export is there, and refuses with
// everything that is missing listed at once.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingDependenciesError, moduleReference, packageNameOf, resolveModuleReferences } from '../../transport/modules.js';

let root: string;

function writePackage(dir: string, name: string, version: string, source: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, type: 'module', exports: { '.': './index.js', './extra': './extra.js' } }));
  writeFileSync(join(dir, 'index.js'), source);
  writeFileSync(join(dir, 'extra.js'), 'export const triple = (x) => x * 3;\n');
}

beforeAll(() => {
  // A host's project folder: two installed packages and a local module.
  root = mkdtempSync(join(tmpdir(), 'pushback-modules-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'host', version: '0.0.1', type: 'module' }));
  writePackage(join(root, 'node_modules', 'text-tools'), 'text-tools', '1.2.3', 'export const double = (x) => x * 2;\nexport const notAFunction = 5;\n');
  writePackage(join(root, 'node_modules', '@acme', 'parse'), '@acme/parse', '2.0.0', 'export function parse(s) { return JSON.parse(s); }\n');
  writeFileSync(join(root, 'local.js'), 'export const inc = (x) => x + 1;\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function refusal(refs: Parameters<typeof resolveModuleReferences>[0]): Promise<MissingDependenciesError> {
  try {
    await resolveModuleReferences(refs, root, "map#2 'f'");
  } catch (e) {
    if (e instanceof MissingDependenciesError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('module references', () => {
  it('names the package of a specifier', () => {
    expect(packageNameOf('text-tools')).toBe('text-tools');
    expect(packageNameOf('text-tools/extra')).toBe('text-tools');
    expect(packageNameOf('@acme/parse/deep')).toBe('@acme/parse');
    expect(packageNameOf('./local.js')).toBeUndefined();
  });

  it('the sender records the version it has', () => {
    expect(moduleReference('text-tools', 'double', root)).toEqual({ module: 'text-tools', export: 'double', version: '1.2.3' });
    expect(moduleReference('./local.js', 'inc', root)).toEqual({ module: './local.js', export: 'inc' });
  });

  it('resolves packages, subpaths, scoped packages and local modules to their functions', async () => {
    const [double, triple, parse, inc] = await resolveModuleReferences([
      { module: 'text-tools', export: 'double', version: '1.2.3' },
      { module: 'text-tools/extra', export: 'triple' },
      { module: '@acme/parse', export: 'parse', version: '2.0.0' },
      { module: './local.js', export: 'inc' },
    ], root, "map#2 'f'");
    expect(double(2)).toBe(4);
    expect(triple(2)).toBe(6);
    expect(parse('[1]')).toEqual([1]);
    expect(inc(1)).toBe(2);
  });

  it('refuses a module that is not installed', async () => {
    const e = await refusal([{ module: 'left-pad', export: 'leftPad', version: '1.3.0' }]);
    expect(e.missing).toEqual(["module 'left-pad' (package left-pad@1.3.0) is not installed"]);
    expect(e.message).toContain("map#2 'f': this host cannot run it; missing:");
  });

  it('refuses a version mismatch', async () => {
    const e = await refusal([{ module: 'text-tools', export: 'double', version: '1.2.4' }]);
    expect(e.missing).toEqual(['package text-tools@1.2.4 is needed, but text-tools@1.2.3 is installed']);
  });

  it('refuses a missing export and an export that is not a function', async () => {
    const e = await refusal([
      { module: 'text-tools', export: 'halve' },
      { module: 'text-tools', export: 'notAFunction' },
    ]);
    expect(e.missing).toEqual([
      "module 'text-tools' has no export 'halve'",
      "export 'notAFunction' of module 'text-tools' is not a function",
    ]);
  });

  it('lists everything that is missing at once', async () => {
    const e = await refusal([
      { module: 'left-pad', export: 'leftPad' },
      { module: 'text-tools', export: 'double', version: '9.0.0' },
      { module: 'text-tools/missing', export: 'x' },
      { module: './nowhere.js', export: 'f' },
      { module: 'text-tools', export: 'double', version: '1.2.3' },
    ]);
    expect(e.missing).toHaveLength(4);
    expect(e.missing[0]).toMatch(/left-pad/);
    expect(e.missing[1]).toMatch(/text-tools@9\.0\.0 is needed/);
    expect(e.missing[2]).toMatch(/module 'text-tools\/missing' cannot be resolved/);
    expect(e.missing[3]).toBe("module './nowhere.js' is not found");
    for (const m of e.missing) expect(e.message).toContain(m);
  });
});
