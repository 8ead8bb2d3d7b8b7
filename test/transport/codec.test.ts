// The value codec: every value the engine moves comes back exactly (the
// awkward ones included), and what it cannot carry is refused with the value's
// type and its place in the record.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CODEC_VERSION, CodecFormatError, UncarriableValueError, checkCarriable, decodeValues, encodeValues } from '../../transport/codec.js';

const roundTrip = (xs: unknown[]): unknown[] => decodeValues(encodeValues(xs));

function sparse(): unknown[] {
  const a: unknown[] = [1, , 3]; // eslint-disable-line no-sparse-arrays
  a[10] = 5;
  return a;
}

function manyKeys(): Record<string, number> {
  const o: Record<string, number> = {};
  for (let i = 0; i < 500; i++) o[`key${i}`] = i;
  return o;
}

const values: Record<string, unknown> = {
  'a number': 1.25,
  'a short string': 'k1',
  'a log line': '2024-01-01T00:00:00Z ERROR disk full on /dev/sda1 \u2028 é 🙂',
  'a parsed JSON line': { ts: '2024-01-01T00:00:00Z', level: 'ERROR', n: 3, tags: ['a', 'b'], ok: false, v: null },
  'a Uint8Array chunk': new Uint8Array([0, 1, 255]),
  'a Buffer': Buffer.from('bytes'),
  'nested arrays': [[1, [2, [3, ['x']]]], []],
  undefined: undefined,
  'undefined in an array': [undefined, 1],
  'an object holding undefined': { a: undefined },
  NaN: NaN,
  '-0': -0,
  '-0 in an array': [-0, 0],
  Infinity: [Infinity, -Infinity],
  'a small BigInt': 5n,
  'a huge BigInt': -(2n ** 200n),
  'a Map': new Map<unknown, unknown>([[1, 'a'], ['x', { y: [2] }], [{ k: 1 }, new Set([1])]]),
  'a Set': new Set([1, 'a', undefined]),
  'a Date': new Date(1234567890123),
  'an invalid Date': new Date(NaN),
  'a RegExp': /a+b/giu,
  'typed arrays': [new Float64Array([1.5, -0, NaN]), new Int32Array([1, -2]), new BigInt64Array([-1n]), new Uint16Array(3)],
  'a DataView': new DataView(new Uint8Array([1, 2, 3]).buffer),
  'an ArrayBuffer': new Uint8Array([9, 8]).buffer,
  'a sparse array': sparse(),
  'an empty sparse array of great length': new Array(2 ** 31),
  'an object with many keys': manyKeys(),
  'integer-like keys': { 2: 'a', 1: 'b', x: 1 },
  'boxed primitives': [Object(1), Object('s'), Object(true)],
};

describe('the value codec', () => {
  for (const [name, value] of Object.entries(values)) {
    it(`round-trips ${name} exactly`, () => {
      const [back] = roundTrip([value]);
      // (isDeepStrictEqual calls two invalid dates different: NaN !== NaN.)
      if (value instanceof Date) expect(Object.is((back as Date).getTime(), value.getTime())).toBe(true);
      else expect(isDeepStrictEqual(back, value), `${name} came back changed`).toBe(true);
      if (typeof value === 'number') expect(Object.is(back, value)).toBe(true);
    });
  }

  it('keeps -0 and holes, which the other candidates lose', () => {
    const [z, a] = roundTrip([-0, sparse()]) as [number, unknown[]];
    expect(Object.is(z, -0)).toBe(true);
    expect(1 in a).toBe(false);
    expect(a).toHaveLength(11);
  });

  it('keeps shared and cyclic references', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared };
    cyclic.self = cyclic;
    const [back] = roundTrip([{ a: shared, b: shared, c: cyclic }]) as [{ a: object; b: object; c: { self: unknown } }];
    expect(back.a).toBe(back.b);
    expect(back.c.self).toBe(back.c);
  });

  it('carries a whole run, in order', () => {
    const run = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `line ${i}` : { i, s: String(i) }));
    expect(roundTrip(run)).toStrictEqual(run);
  });

  it('is deterministic: the same values give the same bytes', () => {
    const make = (): unknown[] => [{ a: 1, b: [1, 2], m: new Map([['k', 1n]]) }, 'x', -0, new Date(5)];
    expect(Buffer.from(encodeValues(make())).equals(encodeValues(make()))).toBe(true);
  });

  it('writes its format version first and refuses another version', () => {
    const bytes = encodeValues(['x']);
    expect(bytes[0]).toBe(CODEC_VERSION);
    const other = Uint8Array.from(bytes);
    other[0] = CODEC_VERSION + 1;
    expect(() => decodeValues(other)).toThrow(CodecFormatError);
    expect(() => decodeValues(other)).toThrow(`format version ${CODEC_VERSION + 1}`);
    expect(() => decodeValues(new Uint8Array(0))).toThrow(CodecFormatError);
  });

  it('carries errors as name, message and stack', () => {
    const e = new RangeError('out of range');
    const [back] = roundTrip([e]) as [Error];
    expect(back).toBeInstanceOf(RangeError);
    expect(back.message).toBe('out of range');
    expect(back.stack).toBe(e.stack);
  });
});

describe('what the codec refuses', () => {
  class WithPrivateState {
    #secret = 1;
    visible = 2;
    get secret(): number {
      return this.#secret;
    }
  }

  const refusals: [string, unknown[], string, string][] = [
    ['a function', [1, { on: { click: function handler() {} } }], 'a function (handler)', 'records[1].on.click'],
    ['an arrow function in an array', [[0, () => 1]], 'a function', 'records[0][1]'],
    ['a symbol', ['a', 'b', { s: Symbol('tag') }], 'a symbol (Symbol(tag))', 'records[2].s'],
    ['a symbol-keyed property', [{ [Symbol('k')]: 1 }], 'a symbol-keyed property', 'records[0]'],
    ['a class instance with private state', [{ user: new WithPrivateState() }], 'an instance of class WithPrivateState', 'records[0].user'],
    ['a class instance inside a Map', [new Map([['k', new WithPrivateState()]])], 'an instance of class WithPrivateState', 'records[0]<Map value 0>'],
    ['a function as a Map key', [new Map([[() => 1, 'v']])], 'a function', 'records[0]<Map key 0>'],
    ['a function in a Set', [new Set([1, Math.max])], 'a function (max)', 'records[0]<Set entry 1>'],
    ['a Promise', [Promise.resolve(1)], 'an instance of class Promise', 'records[0]'],
    ['a WeakMap', [{ 'odd key': new WeakMap() }], 'an instance of class WeakMap', 'records[0]["odd key"]'],
    ['a SharedArrayBuffer', [new SharedArrayBuffer(8)], 'a SharedArrayBuffer', 'records[0]'],
    ['a subclass of Array', [new (class Stack extends Array {})()], 'an instance of class Stack', 'records[0]'],
    ['a function as a named property of an array (found by V8, named by record)', [0, Object.assign([1, 2], { f: () => 0 })], 'a value V8 cannot serialise', 'records[1]'],
    ['a function deep in a sparse array of great length', [Object.assign(new Array(2 ** 30), { 7: () => 0 })], 'a function', 'records[0][7]'],
  ];
  for (const [name, run, typeName, path] of refusals) {
    it(`refuses ${name}, naming its type and place`, () => {
      let caught: unknown;
      try {
        encodeValues(run);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UncarriableValueError);
      const e = caught as UncarriableValueError;
      expect(e.typeName.startsWith(typeName)).toBe(true);
      expect(e.path).toBe(path);
      expect(e.message).toContain(path);
    });
  }

  it('names the run as the caller labels it', () => {
    expect(() => checkCarriable({ f: () => 1 }, 'chunk 7 record 3')).toThrow('at chunk 7 record 3.f');
  });

  it('refuses a Proxy, which the check cannot see into, still naming the record', () => {
    expect(() => encodeValues(['fine', new Proxy({}, {})])).toThrow(/records\[1\]/);
  });
});
