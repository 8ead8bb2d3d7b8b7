// What the command line says when something is wrong (status 2 and one clear
// line), --help, --explain, and that user expressions never enter the fused source.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, UsageError } from '../../bin/cli.js';
import { compileExpression } from '../../bin/expressions.js';
import { run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pushback-cli-'));
const file = join(dir, 'in.txt');
writeFileSync(file, 'one\ntwo\nthree\n');

describe('usage errors: status 2 and a clear message', () => {
  const cases: [string[], RegExp][] = [
    [[file, 'frob'], /^pushback: cannot read frob: no such file or directory \(and "frob" is not a stage\)/],
    [[file, 'grep', 'o', 'frob'], /^pushback: unknown stage "frob"/],
    [[file, 'map'], /^pushback: map: missing an expression/],
    [[file, 'map', 'x =>'], /^pushback: map 'x =>': cannot parse "x =>": Unexpected token at column 5/],
    [[file, 'map', 'x) + (y'], /^pushback: map 'x\) \+ \(y': unexpected "\) \+ \(y" after the expression at column 2/],
    [[file, 'grep', '/(/'], /^pushback: grep: "\/\(\/" is not a valid regular expression: /],
    [[file, 'take', 'ten'], /^pushback: take: expected a whole number, got "ten"/],
    [[file, 'fields', '0'], /^pushback: fields: "0" is not a valid field range/],
    [[file, 'take', '1', 'lines'], /^pushback: lines: only as the first record stage/],
    [[file, 'take', '1', 'tr', 'a', 'b'], /^pushback: tr a b: tr works on bytes/],
    [[file, 'fields', '1,'], /^pushback: fields: "1," is not a list of field numbers/],
    [[file, 'grep', '-z', 'x'], /^pushback: grep: unknown option -z/],
    [['--frob'], /^pushback: unknown option --frob/],
    [['--on-error=ignore', file], /^pushback: --on-error: expected abort, skip or retry:N/],
    [[join(dir, 'missing.txt'), 'count'], /^pushback: cannot read .*missing\.txt: no such file or directory$/m],
    [[dir, 'count'], /^pushback: cannot read .*: it is a directory$/m],
  ];
  for (const [argv, message] of cases) {
    it(argv.map((a) => a.replace(dir, 'DIR')).join(' '), async () => {
      const got = await run(argv);
      expect(got.status).toBe(2);
      expect(got.stdout).toBe('');
      expect(got.stderr).toMatch(message);
    });
  }

  it('an expression that throws names the stage and the record, after the records before it', async () => {
    const got = await run([file, 'map', 'x === "two" ? null.x : x']);
    expect(got.status).toBe(2);
    expect(got.stdout).toBe('one\n');
    expect(got.stderr).toMatch(/^pushback: map 'x === "two" \? null.x : x': record 2: TypeError: Cannot read properties of null/);
  });

  it('--on-error=skip reports and drops the record', async () => {
    const got = await run(['--on-error=skip', file, 'map', 'x === "two" ? null.x : x.toUpperCase()']);
    expect(got.status).toBe(0);
    expect(got.stdout).toBe('ONE\nTHREE\n');
    expect(got.stderr).toMatch(/^pushback: skipped: map .*: record 2: TypeError/);
  });

  it('a bad JSON line is reported with its number and skipped; --strict stops there', async () => {
    const json = join(dir, 'in.jsonl');
    writeFileSync(json, '{"a":1}\n{oops\n{"a":3}\n');
    const lenient = await run([json, 'jsonl', 'map', 'x.a']);
    expect(lenient.status).toBe(0);
    expect(lenient.stdout).toBe('1\n3\n');
    expect(lenient.stderr).toMatch(/^pushback: jsonl: line 2: .*"\{oops"\n$/);
    const strict = await run(['--strict', json, 'jsonl', 'map', 'x.a']);
    expect(strict.status).toBe(2);
    expect(strict.stdout).toBe('1\n');
    expect(strict.stderr).toMatch(/^pushback: jsonl: line 2: /);
  });
});

describe('help and explain', () => {
  it('--help prints the usage and exits 0', async () => {
    const got = await run(['--help']);
    expect(got.status).toBe(0);
    expect(got.stdout).toMatch(/^Usage: pushback/);
    for (const stage of ['lines', 'map EXPR', 'grep', 'take N', 'drop N', 'count', 'sum', 'uniq', 'jsonl', 'fields']) expect(got.stdout).toContain(stage);
  });

  it('--explain prints the fused JavaScript without running, and the expression is not in it', async () => {
    const got = await run(['--explain', file, 'map', 'x + "__marker__"', 'grep', 'ERROR', 'take', '3']);
    expect(got.status).toBe(0);
    expect(got.stdout).toMatch(/pushback pipeline: input -> lines -> map -> grep -> take -> stringify -> unlines -> output/);
    expect(got.stdout).toMatch(/function chain_\d+_map_grep_take_stringify_unlines\(/);
    expect(got.stdout).toContain('for (let i');
    expect(got.stdout).not.toContain('__marker__');
    expect(got.stdout).not.toContain('ERROR');
  });

  it('different expressions give the same fused source (they are values, not text)', async () => {
    const strip = (s: string) => s.replace(/chain_\d+/g, 'chain').replace(/shape \d+/g, 'shape').replace(/#\d+/g, '#');
    const a = await run(['--explain', file, 'map', 'x.length', 'take', '1']);
    const b = await run(['--explain', file, 'map', '"*/ \'\\u2028" + x', 'take', '1']);
    expect(strip(a.stdout)).toBe(strip(b.stdout));
  });
});

describe('progress', () => {
  it('--progress on a terminal writes nothing when nothing was shown', async () => {
    const got = await run(['--progress', '--sample=2000', 'count'], '', { stderrIsTTY: true });
    expect(got.status).toBe(0);
    expect(got.stdout).toBe('2000\n');
    expect(got.stderr).toBe('');
  });
});

describe('parsing', () => {
  it('files before stages, options anywhere a stage could start', () => {
    const c = parse(['a.log', '-', '--progress', 'grep', '-v', 'ERROR', '--explain', 'take', '3', '--no-progress']);
    expect(c.files).toEqual(['a.log', '-']);
    expect(c.stages.map((s) => s.text)).toEqual(['grep -v ERROR', 'take 3']);
    expect(c.options.progress).toBe(false);
    expect(c.options.explain).toBe(true);
  });

  it('compiles functions and expressions in x', () => {
    expect(compileExpression('l => l.length', 'map')('abc')).toBe(3);
    expect(compileExpression('x * 2', 'map')(21)).toBe(42);
    expect(compileExpression('x // a comment', 'map')(7)).toBe(7);
    expect(() => compileExpression('x; process.exit(1)', 'map')).toThrow(UsageError);
  });
});
