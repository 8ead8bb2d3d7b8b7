import { describe, expect, it } from 'vitest';
import { checkIdentifier, code, join, literal, Name, NameError, SlotTable } from '../../codegen/code.js';
import { names } from '../../codegen/names.js';

describe('the code builder', () => {
  it('builds code from names, code and integers only', () => {
    const i = new Name('i');
    expect(code`for (let ${i} = ${0}; ${i} < n; ${i}++) ${code`f(${i});`}`.text).toBe('for (let i = 0; i < n; i++) f(i);');
    expect(() => code`x = ${'1; evil()' as unknown as Name}`).toThrow(/refusing to interpolate string/);
    expect(() => code`x = ${1.5}`).toThrow(/refusing to interpolate number/);
    expect(join([code`a;`, code`b;`]).text).toBe('a;\nb;');
  });

  it('validates identifiers and refuses reserved words', () => {
    expect(checkIdentifier('acc_1', 'x')).toBe('acc_1');
    for (const bad of ['', '1a', 'a-b', 'class', 'in', 'a b', 'x*/', 'a\u2028b', '${x}', '`x`']) {
      expect(() => new Name(bad)).toThrow(NameError);
    }
  });

  it('quotes every literal through one function', () => {
    expect(literal('a"b').text).toBe('"a\\"b"');
    expect(literal('*/ `${x}` \u2028 \u2029').text).toBe('"*/ `${x}` \\u2028 \\u2029"');
    expect(literal(NaN).text).toBe('NaN');
    expect(literal(-Infinity).text).toBe('-Infinity');
    expect(literal(-0).text).toBe('-0');
    expect(literal(undefined).text).toBe('undefined');
    expect(literal(true).text).toBe('true');
  });

  it('passes values through numbered, labelled slots', () => {
    const slots = new SlotTable();
    const f = slots.add(() => 1, 'f_1', 'map#2 parameter f');
    const s = slots.add({}, 's_2', 'take#3 state');
    expect(f.text).toBe('f_1$0');
    expect(s.text).toBe('s_2$1');
    expect(slots.prelude(names.slots).text).toBe('const f_1$0 = $slots[0];\nconst s_2$1 = $slots[1];');
    expect(slots.slots.map((x) => x.label)).toEqual(['map#2 parameter f', 'take#3 state']);
  });
});

describe('snippet names', () => {
  it('a catch parameter is a local of the snippet, renamed per process like any other', async () => {
    const { define, each } = await import('../../engine/definition.js');
    const { IO } = await import('../../engine/io.js');
    const { Process } = await import('../../engine/process.js');
    const { explain } = await import('../../jit/explain.js');
    const safe = define('safe', { ports: ['in', 'out'], inputs: ['in'], params: ['f'] })
      .flow('>in', each('let y; try { y = f(x); } catch (e) { y = String(e); } emit(y);', 'out>'));
    const io = new IO();
    const p = new Process(io, safe, { f: (x: number) => { if (x === 2) throw 'two'; return x; } });
    const { collect } = await import('../../processes/sinks/collect.js');
    const sink = new Process(io, collect);
    p.connect('out', sink, 'in');
    const { Flowable } = await import('../../engine/flowable.js');
    p.flow('>in', p.admittance('>in', Flowable.write([1, 2, 3])));
    expect(sink.state.items).toEqual([1, 'two', 3]);
    expect(explain(p, '>in')).toMatch(/catch \(e_0_\)/);
  });
});
