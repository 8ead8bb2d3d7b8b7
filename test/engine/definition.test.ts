import { describe, expect, it } from 'vitest';
import { define, DefinitionError, each } from '../../engine/definition.js';
import { parseSpec, SpecError } from '../../engine/spec.js';

const ports = new Set(['in', 'out']);

describe('the port grammar', () => {
  it('reads the four forms', () => {
    expect(parseSpec('cat', '>in', ports)).toMatchObject({ port: 'in', direction: 'write', frame: 'near' });
    expect(parseSpec('cat', '<out', ports)).toMatchObject({ port: 'out', direction: 'read', frame: 'near' });
    expect(parseSpec('cat', 'in<', ports)).toMatchObject({ port: 'in', direction: 'read', frame: 'far' });
    expect(parseSpec('cat', 'out>', ports)).toMatchObject({ port: 'out', direction: 'write', frame: 'far' });
  });

  it('names the class, the spec and the column of an unknown port', () => {
    expect(() => define('cat2', { ports: ['in', 'out'] }).flow('>nope', 'out>'))
      .toThrow('cat2: bad spec ">nope" at column 2: unknown port "nope" (ports: in, out)');
    expect(() => define('cat3', { ports: ['in', 'out'] }).flow('>in', 'outt>'))
      .toThrow('cat3: bad spec "outt>" at column 1: unknown port "outt"');
  });

  it('names the column of a malformed spec', () => {
    expect(() => define('cat4', { ports: ['in', 'out'] }).flow('in', 'out>'))
      .toThrow('cat4: bad spec "in" at column 1: expected a direction (> or <) before or after the port name');
    expect(() => define('cat5', { ports: ['in', 'out'] }).flow('>i-n', 'out>'))
      .toThrow('cat5: bad spec ">i-n" at column 3: "i-n" is not a port name');
    expect(() => define('cat6', { ports: ['in', 'out'] }).flow('', 'out>')).toThrow(/cat6: bad spec "" at column 1/);
  });

  it('refuses a delegation that changes direction', () => {
    expect(() => define('cat7', { ports: ['in', 'out'] }).flow('>in', 'out<'))
      .toThrow('cat7: bad spec "out<" at column 4: ">in" is a write and cannot delegate to a read');
    expect(() => define('cat8', { ports: ['in', 'out'] }).admittance('<out', '>in'))
      .toThrow('cat8: bad spec ">in" at column 1: "<out" is a read and cannot delegate to a write');
    expect(() => define('cat9', { ports: ['in', 'out'] }).flow('>in', each('emit(x)', 'in<')))
      .toThrow(SpecError);
  });

  it('checks admittance expressions and element snippets when they are declared', () => {
    expect(() => define('buf', { ports: ['in'], state: { size: () => 0 } }).admittance('>in', 'cap - size'))
      .toThrow('buf: admittance >in: unknown name "cap" in "cap - size"');
    expect(() => define('bad', { ports: ['in', 'out'] }).flow('>in', each('emit(x', 'out>')))
      .toThrow(/bad: flow >in: cannot parse "emit\(x" at column 7/);
    expect(() => define('bad2', { ports: ['in', 'out'] }).flow('>in', each('emit(x)')))
      .toThrow('bad2: flow >in emits but names no target spec');
    expect(() => define('bad3', { ports: ['in', 'out'] }).admittance('>in', 'admit("out<")'))
      .toThrow(SpecError);
    expect(() => define('bad4', { ports: ['in', 'out'] }).flow('>in', 'out>').flow('>in', 'out>'))
      .toThrow('bad4: a rule for ">in" is already declared');
  });

  it('accepts reserved words as port names but not as identifiers where code is generated', () => {
    expect(() => define('ok', { ports: ['in', 'out'] })).not.toThrow();
    expect(() => define('bad name', { ports: [] })).toThrow(/process class name "bad name"/);
    expect(() => define('p', { ports: ['a*/b'] })).toThrow(DefinitionError);
    expect(() => define('p', { ports: ['x'], params: ['for'] })).toThrow(/parameter name "for"/);
  });
});

describe('snippet locals', () => {
  it('refuses a local that would shadow the element or a hook', () => {
    expect(() => define('shadow', { ports: ['in', 'out'] }).flow('>in', each('try { emit(x); } catch (x) { }', 'out>')))
      .toThrow('shadow: flow >in: a snippet may not declare "x", which already names the element, the request size or a hook');
    expect(() => define('shadow2', { ports: ['in', 'out'] }).flow('>in', each('const emit = 1;', 'out>'))).toThrow(/may not declare "emit"/);
  });
});
