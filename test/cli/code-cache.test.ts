// The command line's bundle is loaded with a V8 code cache made at build time
// (bin/code-cache.ts). A cache that fits is used; one that does not (made by
// another Node, damaged, missing, or made for another source) is rejected by V8
// and the bundle is compiled from its source, with the same result.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBundle } from '../../bin/code-cache.js';

const scratch = mkdtempSync(join(tmpdir(), 'pushback-code-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A CommonJS file as the build writes one: strict, with exports, using require and __filename.
function writeBundle(name: string, body: string): string {
  const file = join(scratch, name);
  writeFileSync(file, `"use strict";\nconst { basename } = require("node:path");\n${body}\nexports.file = basename(__filename);\n`);
  return file;
}

// V8 keeps what it compiled in a process and would answer a second compilation of
// the same file from there, without looking at the cache: so the cache is made from
// a copy at another path (the source's length is what V8 checks, not its name), and
// each test loads its files once.
function makeCache(bundle: string): Buffer {
  const copy = `${bundle}.build.cjs`;
  copyFileSync(bundle, copy);
  const cache = loadBundle(copy, join(scratch, 'no-such-cache')).script.createCachedData();
  writeFileSync(`${bundle}.cache`, cache);
  return cache;
}

describe('loading the bundle with its code cache', () => {
  it('uses a cache made for the same source by the same Node', () => {
    const bundle = writeBundle('same.cjs', 'exports.main = (argv) => argv.length * 2;');
    makeCache(bundle);
    const loaded = loadBundle(bundle, `${bundle}.cache`);
    expect(loaded.cacheUsed).toBe(true);
    expect((loaded.exports.main as (argv: string[]) => number)(['a', 'b'])).toBe(4);
    expect(loaded.exports.file).toBe('same.cjs');
  });

  it('runs without a cache file', () => {
    const bundle = writeBundle('none.cjs', 'exports.main = () => 7;');
    const loaded = loadBundle(bundle, `${bundle}.cache`);
    expect(loaded.cacheUsed).toBe(false);
    expect((loaded.exports.main as () => number)()).toBe(7);
  });

  it('rejects a cache from another V8 version and compiles the source instead', () => {
    const bundle = writeBundle('other-version.cjs', 'exports.main = () => "from the source";');
    const cache = makeCache(bundle);
    // V8's cache starts with a magic number and then a hash of the V8 version that made it.
    cache.writeUInt32LE(~cache.readUInt32LE(4) >>> 0, 4);
    writeFileSync(`${bundle}.cache`, cache);
    const loaded = loadBundle(bundle, `${bundle}.cache`);
    expect(loaded.cacheUsed).toBe(false);
    expect((loaded.exports.main as () => string)()).toBe('from the source');
  });

  it('rejects a damaged cache', () => {
    const bundle = writeBundle('damaged.cjs', 'exports.main = () => 1;');
    writeFileSync(`${bundle}.cache`, Buffer.from('not a code cache at all, just bytes'));
    const damaged = loadBundle(bundle, `${bundle}.cache`);
    expect(damaged.cacheUsed).toBe(false);
    expect((damaged.exports.main as () => number)()).toBe(1);
  });

  it('rejects a cache made for another source', () => {
    const bundle = writeBundle('mismatched.cjs', 'exports.main = () => 1;');
    const other = writeBundle('other.cjs', 'exports.main = () => "another, longer source";');
    writeFileSync(`${bundle}.cache`, makeCache(other));
    const mismatched = loadBundle(bundle, `${bundle}.cache`);
    expect(mismatched.cacheUsed).toBe(false);
    expect((mismatched.exports.main as () => number)()).toBe(1);
  });

  it('loads a package bundled apart from its file beside the bundle, with its cache, when first required', () => {
    // The bundle requires "apart" only when its function runs, as the command line requires acorn.
    const bundle = writeBundle('with-sibling.cjs', 'exports.main = () => require("apart").answer;');
    writeFileSync(join(scratch, 'apart.cjs'), 'exports.answer = "from the sibling";');
    writeFileSync(join(scratch, 'apart.cjs.cache'), makeCache(join(scratch, 'apart.cjs')));
    const loaded = loadBundle(bundle, `${bundle}.cache`, ['apart']);
    expect(loaded.siblings.size).toBe(0);
    expect((loaded.exports.main as () => string)()).toBe('from the sibling');
    expect(loaded.siblings.get('apart')?.cacheUsed).toBe(true);
    // Loaded once: a second require answers from the first load.
    expect((loaded.exports.main as () => string)()).toBe('from the sibling');
    expect(loaded.siblings.size).toBe(1);
  });

  it('requires a package bundled apart as usual when its file is missing', () => {
    // There is no os.cjs beside the bundle: Node's own module answers.
    const bundle = writeBundle('missing-sibling.cjs', 'exports.main = () => typeof require("os").cpus;');
    const loaded = loadBundle(bundle, `${bundle}.cache`, ['os']);
    expect((loaded.exports.main as () => string)()).toBe('function');
    expect(loaded.siblings.size).toBe(0);
  });
});
