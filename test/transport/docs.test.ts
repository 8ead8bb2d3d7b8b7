// Every ```ts example in docs/workers.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import * as codec from '../../transport/codec.js';
import * as portable from '../../transport/portable.js';
import * as layout from '../../transport/ring-layout.js';
import * as reader from '../../transport/ring-reader.js';
import * as writer from '../../transport/ring-writer.js';

/** The modules the examples may import, by the path they use (relative to docs/). */
const modules: Record<string, unknown> = {
  '../transport/codec.js': codec,
  '../transport/portable.js': portable,
  '../transport/ring-layout.js': layout,
  '../transport/ring-reader.js': reader,
  '../transport/ring-writer.js': writer,
};

const guide = readFileSync(new URL('../../docs/workers.md', import.meta.url), 'utf8');
const examples = [...guide.matchAll(/```ts\n([\s\S]*?)```\n\n```text\n([\s\S]*?)```/g)].map((m, i) => {
  const headings = [...guide.slice(0, m.index).matchAll(/^#{2,3} (.*)$/gm)];
  return { name: `example ${i + 1} (${headings.at(-1)?.[1] ?? 'intro'})`, source: m[1], output: m[2] };
});

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (
  ...args: unknown[]
) => Promise<void>;

async function run(source: string): Promise<string> {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const body = js.replace(
    /^import\s*\{([^}]*)\}\s*from\s*'([^']*)';$/gm,
    (line, names: string, path: string) => {
      expect(modules, `${line}: not a module the examples may import`).toHaveProperty([path]);
      return `const {${names.replace(/\bas\b/g, ':')}} = $modules[${JSON.stringify(path)}];`;
    },
  );
  expect(body).not.toMatch(/^import /m);
  const lines: string[] = [];
  const fakeConsole = { log: (...xs: unknown[]) => lines.push(format(...xs)) };
  await new AsyncFunction('$modules', 'console', body)(modules, fakeConsole);
  return lines.map((l) => l + '\n').join('');
}

describe('docs/workers.md', () => {
  test('has examples with outputs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await run(example.source)).toBe(example.output);
    });
  }
});
