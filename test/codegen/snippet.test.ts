// Snippet analyses made ahead of time (codegen/snippet.ts): the command line's
// bundle carries, for each library snippet, what acorn parsed it to, so that its
// definitions load without parsing. A snippet taken from such a table must behave
// exactly as one parsed from its source: the same code, the same checks.
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Node, Snippet } from '../../codegen/snippet.js';

type SnippetModule = typeof import('../../codegen/snippet.js');

const global = globalThis as { PUSHBACK_PRECOMPUTED_SNIPPETS?: unknown };

/** A fresh instance of the module, seeing the table (if any) that is there now. */
async function freshModule(table?: unknown): Promise<SnippetModule> {
  vi.resetModules();
  if (table === undefined) delete global.PUSHBACK_PRECOMPUTED_SNIPPETS;
  else global.PUSHBACK_PRECOMPUTED_SNIPPETS = table;
  return import('../../codegen/snippet.js');
}

afterEach(() => {
  delete global.PUSHBACK_PRECOMPUTED_SNIPPETS;
  vi.resetModules();
});

const SOURCES: [string, 'statements' | 'expression'][] = [
  ['const y = x * 2; if (y > limit) emit(y); else seen++;', 'statements'],
  ["admit('out>') > n ? n : admit('out>')", 'expression'],
  ['try { emit(Number(x)); } catch (e) { bad++; }', 'statements'],
  ["emit({ x, label: 'a' + x })", 'statements'],
];
const KNOWN = new Set(['limit', 'seen', 'bad']);

function printedInstance(m: SnippetModule, snippet: Snippet): string {
  const node = snippet.instantiate({
    rewrite: (name: string) => (name === 'x' ? { type: 'Identifier', name: 'element' } : undefined),
    onEmit: (value: Node) => ({ type: 'ExpressionStatement', expression: { type: 'CallExpression', callee: { type: 'Identifier', name: 'out' }, arguments: [value], optional: false } }),
    onAdmit: () => ({ type: 'Identifier', name: 'room' }),
  });
  return m.print(node).text;
}

describe('precomputed snippet analyses', () => {
  it('give the same code, locals, admits and emits as parsing the source', async () => {
    const parsing = await freshModule();
    const recorded = parsing.recordSnippetAnalyses();
    const parsed = SOURCES.map(([source, kind]) => parsing.Snippet.parse(source, kind, 'test', KNOWN));
    expect(recorded.size).toBe(SOURCES.length);
    const table = JSON.parse(JSON.stringify(Object.fromEntries(recorded)));

    const loaded = await freshModule(table);
    SOURCES.forEach(([source, kind], i) => {
      const fromTable = loaded.Snippet.parse(source, kind, 'test', KNOWN);
      expect(printedInstance(loaded, fromTable)).toBe(printedInstance(parsing, parsed[i]));
      expect([...fromTable.locals]).toEqual([...parsed[i].locals]);
      expect(fromTable.admits).toEqual(parsed[i].admits);
      expect(fromTable.emits).toBe(parsed[i].emits);
    });
  });

  it('are taken from the table when there (not parsed again)', async () => {
    const parsing = await freshModule();
    const recorded = parsing.recordSnippetAnalyses();
    parsing.Snippet.parse('limit + 1', 'expression', 'test', KNOWN);
    const table = JSON.parse(JSON.stringify(Object.fromEntries(recorded)));
    // An entry changed by hand shows which one was used: it now names `other`.
    const key = 'expression\nlimit + 1';
    table[key][4] = ['other'];
    const loaded = await freshModule(table);
    expect(() => loaded.Snippet.parse('limit + 1', 'expression', 'test', KNOWN)).toThrow(/unknown name "other"/);
  });

  it('still check the names against the definition that uses them', async () => {
    const parsing = await freshModule();
    const recorded = parsing.recordSnippetAnalyses();
    parsing.Snippet.parse('if (x > limit) emit(x);', 'statements', 'test', KNOWN);
    const loaded = await freshModule(JSON.parse(JSON.stringify(Object.fromEntries(recorded))));
    expect(() => loaded.Snippet.parse('if (x > limit) emit(x);', 'statements', 'where', new Set())).toThrow('where: unknown name "limit" in "if (x > limit) emit(x);"');
  });

  it('leave what is not in the table to the parser, with its errors', async () => {
    const loaded = await freshModule({});
    expect(() => loaded.Snippet.parse('x +', 'expression', 'where', KNOWN)).toThrow(/^where: cannot parse "x \+" at column/);
    expect(() => loaded.Snippet.parse('emit(() => x);', 'statements', 'where', KNOWN)).toThrow(/snippets may not define functions/);
  });

  it('record no tree that JSON cannot carry (a regular expression literal)', async () => {
    const parsing = await freshModule();
    const recorded = parsing.recordSnippetAnalyses();
    parsing.Snippet.parse('/a+/.test(x)', 'expression', 'test', KNOWN);
    expect(recorded.size).toBe(0);
  });
});
