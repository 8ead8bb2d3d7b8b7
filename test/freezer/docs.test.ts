// The example at the top of docs/freezer.md does what the doc says.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';

describe('docs/freezer.md', () => {
  it('snapshots a file pipeline midway; the restore with the function passed again ends the output exactly', async () => {
    const doc = readFileSync(new URL('../../docs/freezer.md', import.meta.url), 'utf8');
    for (const line of [
      "const sink = io.file('access.log').lines().map((l: string) => l.toUpperCase()).unlines().toFile('upper.log');",
      "const report = await io.snapshot('run.snap');",
      "const restored = await IO.restore('run.snap', { functions: { 'map#3.f': (l: string) => l.toUpperCase() } });",
      'await restored.completion();',
    ]) expect(doc).toContain(line);
    const dir = mkdtempSync(join(tmpdir(), 'freezer-docs-'));
    const log = join(dir, 'access.log');
    const upper = join(dir, 'upper.log');
    const snap = join(dir, 'run.snap');
    const text = Array.from({ length: 50_000 }, (_, i) => `line ${i} ok`).join('\n') + '\n';
    writeFileSync(log, text);
    const io = new IO();
    let seen = 0;
    let taken!: (p: Promise<unknown>) => void;
    const report = new Promise<unknown>((resolve) => (taken = resolve));
    const sink = io.file(log, { chunkSize: 4096 }).lines().map((l: string) => {
      if (++seen === 20_000) taken(io.snapshot(snap));
      return l.toUpperCase();
    }).unlines().toFile(upper);
    await sink.completion();
    const { notes } = (await report) as { notes: { process: string }[] };
    expect(notes.map((n) => n.process)).toEqual(['map#3']);
    const restored = await IO.restore(snap, { functions: { 'map#3.f': (l: string) => l.toUpperCase() } });
    await restored.completion();
    expect(readFileSync(upper, 'utf8') === text.toUpperCase()).toBe(true);
  });
});
