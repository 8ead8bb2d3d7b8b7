// The functions behind the command line's --graph and --inspect flags.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IO } from '../../index.js';
import { graphFlag, graphFormat, inspectFlag, inspectPort } from '../../inspect/index.js';

describe('--graph', { timeout: 60_000 }, () => {
  it('writes an SVG or a DOT file as the extension says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushback-graph-'));
    try {
      const io = new IO();
      const sink = io.from(['a', 'b']).map((s: string) => s.toUpperCase()).collect();
      sink.run();
      await graphFlag(sink, join(dir, 'out.svg'));
      await graphFlag(io, join(dir, 'out.DOT'));
      const picture = readFileSync(join(dir, 'out.svg'), 'utf8');
      expect(picture).toMatch(/^<svg /);
      for (const label of ['from#1', 'map#2', 'collect#3']) expect(picture).toContain(`>${label}</text>`);
      expect(readFileSync(join(dir, 'out.DOT'), 'utf8')).toMatch(/^digraph pushback \{[\s\S]*"p1":f0:e -> "p2":f0:w;/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file name that is neither .svg nor .dot, naming it', () => {
    expect(() => graphFormat('out.png')).toThrow('--graph "out.png": the file name must end in .svg or .dot');
    expect(graphFormat('x.gv')).toBe('dot');
  });
});

describe('--inspect', { timeout: 60_000 }, () => {
  it('takes no value or a port number from 0 to 65535', () => {
    expect(inspectPort(undefined)).toBe(0);
    expect(inspectPort(true)).toBe(0);
    expect(inspectPort('8123')).toBe(8123);
    for (const bad of ['-1', '65536', '80a', '1e3', ' 80', '0x50']) expect(() => inspectPort(bad), bad).toThrow(`--inspect=${bad}: expected a port number from 0 to 65535`);
  });

  it('starts the inspector and says where it is', async () => {
    const lines: string[] = [];
    const inspector = await inspectFlag(new IO(), true, (line) => lines.push(line));
    try {
      expect(lines).toEqual([`pushback inspector: ${inspector.url}`]);
      expect((await fetch(inspector.url)).status).toBe(200);
    } finally {
      await inspector.close();
    }
  });
});
