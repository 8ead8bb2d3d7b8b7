// --graph writes a picture of the pipeline that ran; --inspect serves the live
// page while it runs. Bad values are usage errors naming the flag.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pushback-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--graph and --inspect', () => {
  it('--graph FILE.svg draws the pipeline that ran, and the output is unchanged', async () => {
    const svg = join(dir, 'p.svg');
    const r = await run(['--graph', svg, 'map', 'l => l.toUpperCase()', 'take', '2'], 'a\nb\nc\n');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'A\nB\n', '']);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    for (const name of ['map', 'take']) expect(text).toContain(`${name}#`);
  }, 60_000);

  it('--graph=FILE.dot writes Graphviz source', async () => {
    const dot = join(dir, 'p.dot');
    const r = await run([`--graph=${dot}`, 'grep', 'b', 'count'], 'a\nb\nc\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('1\n');
    expect(readFileSync(dot, 'utf8')).toMatch(/^digraph /);
  }, 60_000);

  it('refuses a --graph file that is neither .svg nor .dot, before running anything', async () => {
    const r = await run(['--graph', join(dir, 'p.png'), 'count'], 'a\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--graph: expected a file name ending in .svg or .dot');
    expect(r.stdout).toBe('');
  });

  it('refuses an --inspect port that is not one', async () => {
    const r = await run(['--inspect=99999', 'count'], 'a\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--inspect: expected a port number from 0 to 65535, got "99999"');
  });

  it('--inspect serves the page while the pipeline runs and says where, with its token', async () => {
    const r = await run(['--inspect', 'count'], 'a\nb\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('2\n');
    expect(r.stderr).toMatch(/^pushback inspector: http:\/\/127\.0\.0\.1:\d+\/\S*token=\S+\n$/);
  });
});
