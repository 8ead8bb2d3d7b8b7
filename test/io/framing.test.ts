// The framing and record processes against their plain references, fused and
// interpreted, on generated inputs in random chunkings.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { SKIP } from '../../engine/policy.js';
import * as count from '../../processes/sinks/count.js';
import * as fields from '../../processes/elements/fields.js';
import * as filterMap from '../../processes/elements/filter-map.js';
import * as fold from '../../processes/sinks/fold.js';
import { from, pump } from '../../processes/sources/from.js';
import * as jsonl from '../../processes/elements/jsonl.js';
import * as split from '../../processes/elements/split.js';
import * as stringify from '../../processes/elements/stringify.js';
import * as tap from '../../processes/elements/tap.js';
import * as tr from '../../processes/bytes/tr.js';
import * as uniq from '../../processes/elements/uniq.js';
import * as unlines from '../../processes/bytes/unlines.js';
import { int, rng } from './helpers.js';

const words = ['alpha', 'beta', 'gamma', 'zoë', '', '42', '7', 'x y', ' lead', 'trail ', '{"a":1}', '[1,2]', 'null', '{bad'];

function records(r: () => number, n = 200): string[] {
  return Array.from({ length: int(r, n) }, () => {
    const k = 1 + int(r, 4);
    return Array.from({ length: k }, () => words[int(r, words.length)]).join(r() < 0.3 ? ',' : ' ');
  });
}

/** Runs xs through one process of `def` (from an array source, collected), fused or not. */
async function through(def: import('../../engine/definition.js').Definition, params: Record<string, unknown>, xs: unknown[], fuse: boolean): Promise<unknown[]> {
  const io = new IO({ fuse });
  const chain = io.from(xs).pipe(def, params);
  return chain.collect().completion();
}

const elementCases: [string, import('../../engine/definition.js').Definition, Record<string, unknown>, (xs: string[]) => unknown[]][] = [
  ['uniq', uniq.uniq, { same: uniq.sameValue }, (xs) => uniq.reference(xs)],
  ['split (awk)', split.split, { split: split.splitter() }, (xs) => split.reference(xs, { split: split.splitter() })],
  ['split (,)', split.split, { split: split.splitter(',') }, (xs) => xs.map((x) => x.split(','))],
  ['fields 2', fields.fields, { pick: fields.picker('2') }, (xs) => xs.map((x) => x.trim().split(/\s+/)[1] ?? '')],
  ['fields 1,3 -d ,', fields.fields, { pick: fields.picker('1,3', ',') }, (xs) => xs.map((x) => { const f = x.split(','); return `${f[0] ?? ''},${f[2] ?? ''}`; })],
  ['fields 2-', fields.fields, { pick: fields.picker('2-') }, (xs) => xs.map((x) => (x.trim() === '' ? [] : x.trim().split(/\s+/)).slice(1).join(' '))],
  ['stringify', stringify.stringify, { stringify: stringify.record }, (xs) => stringify.reference(xs, { stringify: stringify.record })],
  ['tap', tap.tap, {}, (xs) => tap.reference(xs)],
  ['filterMap', filterMap.filterMap, { f: (x: string) => (x.length > 3 ? x.length : SKIP), skip: SKIP }, (xs) => xs.filter((x) => x.length > 3).map((x) => x.length)],
  ['jsonl', jsonl.jsonl, { parse: jsonl.parser(), skip: SKIP }, (xs) => jsonl.reference(xs)],
  ['count', count.count, {}, (xs) => count.reference(xs)],
  ['fold', fold.fold, { f: (a: number, x: string) => a + x.length, seed: 0 }, (xs) => fold.reference(xs, { f: (a, x) => (a as number) + (x as string).length, seed: 0 })],
];

describe('record processes match their references, fused and interpreted', () => {
  for (const [name, def, params, ref] of elementCases) {
    for (const fuse of [true, false]) {
      it(`${name} (${fuse ? 'fused' : 'interpreted'})`, async () => {
        for (let seed = 1; seed <= 8; seed++) {
          const xs = records(rng(seed * 31 + name.length));
          expect(await through(def, params, xs, fuse)).toEqual(ref(xs));
        }
      });
    }
  }
});

describe('unlines', () => {
  it('writes one line per element, as bytes', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const xs = records(rng(seed));
      const io = new IO();
      const chunks = await io.from(xs).unlines().collect().completion() as unknown as number[];
      // A byte flowable reaches collect byte by byte.
      expect(Buffer.from(chunks).toString('utf8')).toBe(unlines.reference(xs));
    }
  });

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
