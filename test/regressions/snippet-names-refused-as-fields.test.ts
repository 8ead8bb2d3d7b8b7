// Regression: parameters and state fields appear in snippets by name, so a
// field named like something the snippet language already means (the element
// `x`, the request size `n`, the hooks `emit` and `admit`, the chunk bounds
// `start` and `end`, a global such as `Math`) silently took its place: a
// parameter `x` was emitted instead of the element. Such names are refused when
// the process is defined, naming the class and the field.
import { describe, expect, it } from 'vitest';
import { define, DefinitionError, each } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump } from '../../processes/sources/from.js';

const RESERVED = ['x', 'n', 'emit', 'admit', 'start', 'end', 'Math', 'Number', 'Array', 'String', 'Object', 'Error', 'Uint8Array'];

describe('snippet names as parameter or state names', () => {
  for (const name of RESERVED) {
    it(`refuses a parameter named ${name}`, () => {
      expect(() => define('shadowParam', { ports: ['in', 'out'], inputs: ['in'], params: [name] }))
        .toThrow(DefinitionError);
      expect(() => define('shadowParam', { ports: ['in', 'out'], inputs: ['in'], params: [name] }))
        .toThrow(`shadowParam: parameter name ${JSON.stringify(name)} is reserved in snippets`);
    });

    it(`refuses a state field named ${name}`, () => {
      expect(() => define('shadowState', { ports: ['in', 'out'], inputs: ['in'], state: { [name]: () => 0 } }))
        .toThrow(`shadowState: state name ${JSON.stringify(name)} is reserved in snippets`);
    });
  }

  it('keeps accepting ordinary names, and the element stays the element', () => {
    const scale = define('scaleBy', { ports: ['in', 'out'], inputs: ['in'], params: ['factor'], state: { seen: () => 0 } })
      .flow('>in', each('seen++; emit(x * factor)', 'out>', { oneToOne: true }));
    const io = new IO();
    const s = new Process(io, from, { xs: [1, 2, 3] });
    const m = new Process(io, scale, { factor: 10 });
    const c = new Process(io, collect);
    s.connect('out', m, 'in');
    m.connect('out', c, 'in');
    expect(pump(s)).toBe('done');
    expect(c.state.items).toEqual([10, 20, 30]);
    expect(m.state.seen).toBe(3);
  });
});
