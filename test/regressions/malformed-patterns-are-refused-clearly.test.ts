// Regression: patterns such as null, 42 or {} failed with TypeErrors from
// deep inside the pattern compiler ("Cannot read properties of null"), and a
// pattern that contains itself overflowed the stack. Each is now refused
// where it enters, with an error that says what a pattern is.
import { describe, expect, test } from 'vitest';
import { World, compilePattern, take } from '../../realm/index.js';

const malformed: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['a number', 42],
  ['a record', {}],
  ['a function', () => '$x'],
  ['a symbol', Symbol('x')],
];

describe('malformed patterns', () => {
  for (const [name, pattern] of malformed) {
    test(`${name} is refused with a clear error, wherever a pattern enters`, () => {
      const message = /a pattern is an array like \['\$topic', \.\.\.args\] or a head like '\$topic', got /;
      const world = new World();
      expect(() => compilePattern(pattern as never)).toThrow(message);
      expect(() => world.subscribe(pattern as never, () => undefined)).toThrow(message);
      expect(() => take(pattern as never)).toThrow(message);
      if (pattern !== undefined) expect(() => world.proclamations(pattern as never)).toThrow(message); // undefined: the default, every proclamation
    });
  }

  test('a cyclic pattern is refused, not a stack overflow', () => {
    const inner: unknown[] = [];
    inner.push(inner);
    expect(() => compilePattern(['$x', inner])).toThrow(/pattern is cyclic/);
    const record: Record<string, unknown> = {};
    record.self = record;
    expect(() => compilePattern(['$x', record])).toThrow(/pattern is cyclic/);
  });

  test('a pattern nested deeper than matching allows is refused when compiled', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(() => compilePattern(['$x', deep])).toThrow(/pattern nested deeper than 64 levels/);
  });

  test('a pattern may share a sub-pattern twice (not a cycle)', () => {
    const shared = ['a', 'b'];
    expect(compilePattern(['$x', shared, shared]).match({ kind: '$', topic: 'x', args: [['a', 'b'], ['a', 'b']] })).not.toBeNull();
  });
});
