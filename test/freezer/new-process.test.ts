// A pipeline over a large file, snapshotted midway and restored in a new
// Node process: the output file is exactly what an uninterrupted run writes.
// The snapshot is asked for from inside the pipeline's own function (at a
// fixed line), so the cut point does not depend on timing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import '../../processes/index.js';
import type { SnapshotReport } from '../../freezer/index.js';
import { readSnapshotFile } from '../../freezer/format.js';
import { decodeGraph } from '../../freezer/graph.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'freezer-new-process-'));
// Inside node_modules, so that the bundle's few externals resolve.
const child = join(root, 'node_modules', '.cache', `pushback-freezer-child-${process.pid}.mjs`);

beforeAll(() => {
  buildSync({ entryPoints: [join(root, 'test/freezer/restore-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, logLevel: 'warning' });
});
afterAll(() => {
  rmSync(child, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

const shout = (line: string): string => `${line.toUpperCase()}!`;

/** About 4 MB of lines, seeded. */
function bigText(seed: number): string {
  const r = mulberry32(seed);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const lines: string[] = [];
  for (let i = 0; i < 120_000; i++) {
    const n = 1 + Math.floor(r() * 8);
    lines.push(`${i} ${Array.from({ length: n }, () => words[Math.floor(r() * words.length)]).join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function restoreInChild(snapshot: string, args: string[]): { ok: boolean; error?: string; failed: string[] } {
  const r = spawnSync(process.execPath, [child, snapshot, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the restoring process failed (status ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; error?: string; failed: string[] };
}

/** Runs the pipeline until line `cut`, snapshots there, then stops this run (its output goes on past the cut). */
async function runAndCut(input: string, output: string, snapshot: string, cut: number): Promise<SnapshotReport> {
  const io = new IO();
  let seen = 0;
  let reached!: (taken: Promise<SnapshotReport>) => void;
  const taken = new Promise<SnapshotReport>((resolve) => (reached = resolve));
  const chain = io.file(input, { chunkSize: 16 * 1024 }).lines().map((line: string) => {
    // Asked for inside a flow: the snapshot is taken after this turn.
    if (++seen === cut) reached(io.snapshot(snapshot));
    return shout(line);
  });
  const sink = chain.unlines().toFile(output);
  const done = sink.completion();
  // The snapshot is written after the hold is released, so the run may finish first.
  const report = await Promise.race([taken, done.then(() => (seen >= cut ? taken : Promise.reject(new Error('the cut was never reached'))))]);
  // Stop reading: this run ends cleanly and writes what it still holds, past the snapshot's committed length.
  sink.source.end('out');
  await done;
  return report;
}

/** The rehydration instructions of the input and the output. */
async function devicesOf(snapshot: string): Promise<{ readAt: number; writtenAt: number; reader: string; writer: string }> {
  const graph = decodeGraph((await readSnapshotFile(snapshot)).body, snapshot);
  const reader = graph.processes.find((p) => p.definition === 'input')!.params.reader;
  const writer = graph.processes.find((p) => p.definition === 'output')!.params.writer;
  return {
    reader: reader.kind,
    writer: writer.kind,
    readAt: reader.kind === 'file-reader' ? reader.offset : -1,
    writtenAt: writer.kind === 'file-writer' ? writer.offset : -1,
  };
}

describe('a snapshot restored in a new Node process', () => {
  it('continues a large-file pipeline to exactly the uninterrupted output', async () => {
    const text = bigText(4);
    const input = join(dir, 'in.txt');
    const output = join(dir, 'out.txt');
    const snapshot = join(dir, 'run.snap');
    writeFileSync(input, text);
    const expected = text.split('\n').slice(0, -1).map((l) => `${shout(l)}\n`).join('');
    const report = await runAndCut(input, output, snapshot, 50_000);
    expect(report.notes.map((n) => n.process)).toEqual(['map#3']);
    // Midway: the snapshot holds neither nothing nor everything.
    const { reader, writer, readAt, writtenAt } = await devicesOf(snapshot);
    expect([reader, writer]).toEqual(['file-reader', 'file-writer']);
    expect(readAt).toBeGreaterThan(0);
    expect(readAt).toBeLessThan(text.length);
    expect(statSync(output).size).toBeGreaterThan(writtenAt);
    const result = restoreInChild(snapshot, ['map#3.f=shout']);
    expect(result).toEqual({ ok: true, failed: [] });
    const got = readFileSync(output, 'utf8');
    expect(got.length).toBe(expected.length);
    expect(got === expected).toBe(true);
  });

  it('ends the handle of a missing file with an error naming it; what went out before it is exact', async () => {
    const text = bigText(5);
    const input = join(dir, 'gone.txt');
    const output = join(dir, 'gone-out.txt');
    const snapshot = join(dir, 'gone.snap');
    writeFileSync(input, text);
    await runAndCut(input, output, snapshot, 30_000);
    rmSync(input);
    const result = restoreInChild(snapshot, ['map#3.f=shout']);
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual(['input#1']);
    expect(result.error).toBe(`cannot reopen ${input}: no such file (it had been read up to byte ${(await devicesOf(snapshot)).readAt})`);
    // What the restored run wrote before the error is still exactly the start of the full output.
    const expected = text.split('\n').slice(0, -1).map((l) => `${shout(l)}\n`).join('');
    const got = readFileSync(output, 'utf8');
    expect(got.length).toBeGreaterThanOrEqual((await devicesOf(snapshot)).writtenAt);
    expect(expected.startsWith(got)).toBe(true);
  });

  it('ends the handle of a changed file with an error naming it', async () => {
    const text = bigText(6);
    const input = join(dir, 'changed.txt');
    const output = join(dir, 'changed-out.txt');
    const snapshot = join(dir, 'changed.snap');
    writeFileSync(input, text);
    await runAndCut(input, output, snapshot, 30_000);
    writeFileSync(input, `${text}one more line\n`);
    const result = restoreInChild(snapshot, ['map#3.f=shout']);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(new RegExp(`^cannot reopen ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it changed since the snapshot \\(then ${text.length} bytes, modified .*; now ${text.length + 14} bytes`));
  });
});

