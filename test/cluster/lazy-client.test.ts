// The NATS client packages are loaded only when a cross-host port is opened:
// nothing that index.ts or the command line imports statically (following
// every static import through the project's own files) imports @nats-io, and
// api/cluster-ports.ts reaches the cluster modules only through import().
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The modules a file imports for their values (`import type` and import() are not followed). */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  return found;
}

/** Every project file reachable from `entry` by static imports, with the packages each imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    const imports = staticImports(file);
    seen.set(file, imports.filter((i) => !i.startsWith('.')));
    for (const i of imports) {
      if (!i.startsWith('.')) continue;
      const target = resolve(dirname(file), i.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(join(root, entry));
  return seen;
}

describe('the NATS client is loaded lazily', () => {
  for (const entry of ['index.ts', 'bin/pushback.ts', 'bin/cli.ts', 'api/cluster-ports.ts']) {
    it(`nothing ${entry} imports statically imports @nats-io`, () => {
      const files = reachable(entry);
      expect(files.size).toBeGreaterThan(entry === 'index.ts' || entry === 'bin/cli.ts' ? 10 : 0);
      const offenders = [...files].filter(([, packages]) => packages.some((p) => p.startsWith('@nats-io/'))).map(([f]) => relative(root, f));
      expect(offenders).toEqual([]);
    });
  }

  it('the walk does see a static @nats-io import where there is one', () => {
    const files = reachable('cluster/jetstream-link.ts');
    expect([...files.values()].flat()).toContain('@nats-io/jetstream');
  });
});
