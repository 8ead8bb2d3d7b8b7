// Every ```ts example in docs/realms.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import * as engine from '../../../engine/index.js';
import * as realm from '../../../engine/realm/index.js';
import * as realmProcesses from '../../../processes/realm.js';

/** The modules the examples may import, by the path they use (relative to examples/). */
const modules: Record<string, unknown> = {
  '../engine/realm/index.js': realm,
  '../engine/index.js': engine,
  '../processes/realm.js': realmProcesses,
};

const guide = readFileSync(new URL('../../../docs/realms.md', import.meta.url), 'utf8');
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
  // The examples import from the engine's modules; hand them the same exports.
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

describe('docs/realms.md', () => {
  test('has examples with outputs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await run(example.source)).toBe(example.output);
    });
  }
});
