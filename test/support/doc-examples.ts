// A guide's examples as tests: every ```ts block followed by a ```text block is
// run (imports replaced by the modules the guide may use) and must print exactly
// that text, so the guide cannot drift from the code.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { transformSync } from 'esbuild';
import { expect } from 'vitest';

export interface DocExample {
  name: string;
  source: string;
  output: string;
}

/** The examples of the markdown file at `url`, each named after the heading above it. */
export function docExamples(url: URL): DocExample[] {
  const guide = readFileSync(url, 'utf8');
  // A ```ts block with no output after it is not an example, and must not run on into the next block.
  return [...guide.matchAll(/```ts\n((?:(?!```)[\s\S])*?)```\n\n```text\n([\s\S]*?)```/g)].map((m, i) => {
    const headings = [...guide.slice(0, m.index).matchAll(/^#{2,3} (.*)$/gm)];
    return { name: `example ${i + 1} (${headings.at(-1)?.[1] ?? 'intro'})`, source: m[1], output: m[2] };
  });
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (
  ...args: unknown[]
) => Promise<void>;

/**
 * Runs one example and returns what it printed. `modules` are the modules it may
 * import, by the path it uses; any other import fails the test, naming it.
 */
export async function runDocExample(source: string, modules: Record<string, unknown>): Promise<string> {
  // Types are dropped, nothing is checked: `npm run typecheck` does not see the guides.
  const js = transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' }).code;
  const body = js.replace(
    /^import\s*\{([^}]*)\}\s*from\s*["']([^"']*)["'];$/gm,
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
