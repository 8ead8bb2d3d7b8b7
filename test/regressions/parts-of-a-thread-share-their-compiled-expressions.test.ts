// Regression: a thread of `pushback -j` runs the command line once per part of
// the file, and each run compiled the expressions again. The fused chain is
// compiled once and shared by the runs, so its call site met a new function
// each time and V8 stopped inlining it: a loop-heavy map ran four times slower
// from the second part on. The parts a thread runs now share one function per
// expression; a command line of its own (no parts) still compiles its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.js';
import { partReader } from '../../bin/file-parts.js';

const scratch = mkdtempSync(join(tmpdir(), 'pushback-parts-functions-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The named function expression adds itself to this set on every call. */
const seen = new Set<unknown>();
(globalThis as { pushbackSeenFunctions?: Set<unknown> }).pushbackSeenFunctions = seen;
const expression = 'function self(x) { globalThis.pushbackSeenFunctions.add(self); return x; }';

async function run(path: string, part?: { start: number; end: number }): Promise<string> {
  let out = '';
  const status = await main([path, 'map', expression], {
    stdin: Readable.from([]),
    stdout: new Writable({ write(chunk: Buffer, _encoding, callback) { out += chunk.toString(); callback(); } }),
    stderr: new Writable({ write(_chunk, _encoding, callback) { callback(); } }),
    stderrIsTTY: false,
    services: false,
    input: part === undefined ? undefined : partReader(path, part),
  });
  expect(status).toBe(0);
  return out;
}

describe('the parts a thread runs', () => {
  it('share one compiled function per expression; runs of their own do not', async () => {
    const path = join(scratch, 'in.txt');
    writeFileSync(path, 'a\nb\nc\nd\n');
    expect(await run(path, { start: 0, end: 4 }) + (await run(path, { start: 4, end: 8 }))).toBe('a\nb\nc\nd\n');
    expect(seen.size).toBe(1);
    seen.clear();
    await run(path);
    await run(path);
    expect(seen.size).toBe(2);
  });
});
