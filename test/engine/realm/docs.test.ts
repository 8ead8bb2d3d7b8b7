// Every ```ts example in docs/realms.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import * as realm from '../../../engine/realm/index.js';

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
  // The examples import from the realm module; hand them the same exports.
  const body = js.replace(
    /^import\s*\{([^}]*)\}\s*from\s*'\.\.\/engine\/realm\/index\.js';$/gm,
    (_, names: string) => `const {${names.replace(/\bas\b/g, ':')}} = $realm;`,
  );
  expect(body).not.toMatch(/^import /m);
  const lines: string[] = [];
  const fakeConsole = { log: (...xs: unknown[]) => lines.push(format(...xs)) };
  await new AsyncFunction('$realm', 'console', body)(realm, fakeConsole);
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
