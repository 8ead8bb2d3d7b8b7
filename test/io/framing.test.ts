// The framing and record processes beyond their equivalence cases (which are
// in their manifests, run by test/processes/equivalence.test.ts): round trips,
// bad input, and the pieces they are built from.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import * as count from '../../processes/sinks/count.js';
import * as fields from '../../processes/elements/fields.js';
import { from, pump } from '../../processes/sources/from.js';
import * as jsonl from '../../processes/elements/jsonl.js';
import * as tr from '../../processes/bytes/tr.js';
import { int, rng } from './helpers.js';

describe('unlines', () => {
  it('round-trips with lines', async () => {
    const xs = ['a', '', 'zoë', 'x'.repeat(100_000), 'end'];
    const io = new IO();
    expect(await io.from(xs).unlines().lines().collect().completion()).toEqual(xs);
  });
});

describe('jsonl', () => {
  it('reports a bad line with its line number and goes on', async () => {
    const reports: jsonl.JsonlError[] = [];
    const io = new IO();
    const out = await io.from(['{"a":1}', '{bad', '', '[2]', 'nope']).jsonl({ report: (e) => reports.push(e) }).collect().completion();
    expect(out).toEqual([{ a: 1 }, [2]]);
    expect(reports.map((e) => e.line)).toEqual([2, 5]);
    expect(reports[0].message).toMatch(/^line 2: .*"\{bad"$/);
  });

  it('aborts on a bad line when strict, after the good lines before it', async () => {
    const io = new IO();
    const seen: unknown[] = [];
    const run = io.from(['{"a":1}', '{"a":2}', '{bad', '{"a":4}']).jsonl({ strict: true }).each((x) => seen.push(x)).completion();
    await expect(run).rejects.toThrow(/line 3/);
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('stringifies values back to JSON lines', async () => {
    const io = new IO();
    expect(await io.from([{ a: 1 }, [1, 'b'], 'x', null]).stringify().collect().completion()).toEqual(['{"a":1}', '[1,"b"]', '"x"', 'null']);
  });
});

describe('fields', () => {
  it('refuses a bad list', () => {
    expect(() => fields.parseFieldList('0')).toThrow(/count from 1/);
    expect(() => fields.parseFieldList('a')).toThrow(/not a list/);
    expect(() => fields.parseFieldList('3-2')).toThrow(/not a valid field range/);
  });
});

describe('tr: the four-bytes-at-a-time case mapping equals the table', () => {
  for (const mode of ['upper', 'lower'] as const) {
    it(mode, () => {
      const t = mode === 'upper' ? tr.table(tr.expandSet('a-z'), tr.expandSet('A-Z')) : tr.table(tr.expandSet('A-Z'), tr.expandSet('a-z'));
      expect(tr.caseOf(t)).toBe(mode);
      const r = rng(mode.length);
      for (let round = 0; round < 50; round++) {
        const all = Uint8Array.from({ length: 300 }, () => int(r, 256));
        // Every alignment of source and destination.
        const from = int(r, 8);
        const src = all.subarray(from, from + int(r, 280));
        const out = tr.translate(t, mode, src);
        expect([...out]).toEqual(tr.reference([...src], { table: t }));
      }
    });
  }

  it('expands sets like tr does', () => {
    expect(Buffer.from(tr.expandSet('a-e')).toString()).toBe('abcde');
    expect(Buffer.from(tr.expandSet('\\n\\t\\-x')).toString()).toBe('\n\t-x');
    const t = tr.table(tr.expandSet('abc'), tr.expandSet('x'));
    expect(String.fromCharCode(t[97], t[98], t[99], t[100])).toBe('xxxd');
    expect(() => tr.expandSet('z-a')).toThrow(/reversed/);
  });

  it('upper and lower on a byte chain', async () => {
    const io = new IO();
    const text = 'Hello, Wörld! abc XYZ';
    const up = await io.from([...Buffer.from(text)]).upper().collect().completion() as unknown as number[];
    expect(Buffer.from(up).toString()).toBe('HELLO, WöRLD! ABC XYZ');
    const io2 = new IO();
    const low = await io2.from([...Buffer.from(text)]).lower().collect().completion() as unknown as number[];
    expect(Buffer.from(low).toString()).toBe('hello, wörld! abc xyz');
  });
});

describe('reducers emit when their input ends', () => {
  it('count, sum and fold emit one element, then end', async () => {
    const io = new IO();
    expect(await io.from(['1', '2', '3.5']).sum().collect().completion()).toEqual([6.5]);
    expect(await io.from([1, 2, 3]).count().collect().completion()).toEqual([3]);
    expect(await io.from([]).count().collect().completion()).toEqual([0]);
    expect(await io.from(['a', 'bb']).fold((a: string, x: string) => a + x.length, '').collect().completion()).toEqual(['12']);
  });

  it('count keeps its total when nothing is connected to out', () => {
    const io = new IO();
    const s = new Process(io, from, { xs: [1, 2, 3, 4] });
    const c = new Process(io, count.count);
    s.connect('out', c, 'in');
    expect(pump(s)).toBe('done');
    expect(c.state.total).toBe(4);
    expect(c.state.done).toBe(true);
    expect(c.state.kept).toBe(null);
  });
});
