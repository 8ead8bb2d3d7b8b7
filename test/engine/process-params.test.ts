// A process keeps a frozen copy of its parameters: later changes to the object
// passed in do not reach it, and it cannot be changed; every own key is copied
// as an own key, `__proto__` (as JSON.parse makes it) included.
import { describe, expect, it } from 'vitest';
import { define } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';

const holder = define('holder', { ports: ['out'], params: ['a', 'b'] });

describe('process parameters', () => {
  it('are a frozen copy of what was passed', () => {
    const given: Record<string, unknown> = { a: 1, b: [2] };
    const p = new Process(new IO(), holder, given);
    given.a = 99;
    expect(p.params).toEqual({ a: 1, b: [2] });
    expect(p.params).not.toBe(given);
    expect(Object.isFrozen(p.params)).toBe(true);
    expect(() => {
      (p.params as Record<string, unknown>).a = 3;
    }).toThrow(TypeError);
    expect(Object.getPrototypeOf(p.params)).toBe(Object.prototype);
  });

  it('copy an own __proto__ key as a key, never as the prototype', () => {
    const given = JSON.parse('{"a": 1, "b": 2, "__proto__": {"polluted": true}}') as Record<string, unknown>;
    const p = new Process(new IO(), holder, given);
    expect(Object.getPrototypeOf(p.params)).toBe(Object.prototype);
    expect(Object.hasOwn(p.params, '__proto__')).toBe(true);
    expect((p.params as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.isFrozen(p.params)).toBe(true);
  });
});
