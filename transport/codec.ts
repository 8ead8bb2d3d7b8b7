// The value codec: how a run of values that are neither numbers nor bytes
// crosses a thread (and, later, a machine or a snapshot). Numbers and bytes do
// not come here: they travel as typed runs (see frames.ts).
//
// Underneath is V8's structured serializer (`v8.serialize`). It was chosen by
// measurement (bench/codec.ts): it is the only candidate of the three
// (v8, msgpackr, cbor-x) that carries every value the engine moves exactly,
// -0, sparse arrays, undefined, BigInt of any size, Map, Set, Date, RegExp,
// typed arrays and shared or cyclic references, without extensions of our own.
// msgpackr and cbor-x lose -0 and holes (msgpackr also Map, in structured-clone
// mode). On speed none wins everywhere: v8 is about 2× faster on log lines, the
// engine's commonest record; the other two are 1.3–2.4× faster on small
// objects and nested arrays. Being built in, it adds no dependency and reads
// what an older Node wrote.
//
// What V8 does not do is refuse what it cannot carry faithfully: a class
// instance comes back as a plain object with its private state gone, and a
// symbol-keyed property vanishes. So every value is checked first, and a
// refusal names the value's type and where in the record it sits.
//
// Encoding is deterministic for a given Node version: the same values give the
// same bytes. (An array whose elements V8 stores with holes is written in its
// sparse form even when every index is present; both forms decode to equal
// arrays.) The first byte is this codec's own format version, so that a reader
// refuses bytes it does not understand rather than misreading them.
import { DefaultDeserializer, DefaultSerializer, serialize } from 'node:v8';

/** The format version written as the first byte of every encoding. */
export const CODEC_VERSION = 1;

/** A value the codec refuses to carry, with what it is and where it sits. */
export class UncarriableValueError extends Error {
  constructor(
    /** What the value is: 'function', 'symbol', 'an instance of class Foo', … */
    readonly typeName: string,
    /** Where it sits, e.g. `records[3].user.tags[1]`. */
    readonly path: string,
    detail = '',
  ) {
    super(`cannot carry ${typeName} at ${path} to another thread${detail ? `: ${detail}` : ''}`);
    this.name = 'UncarriableValueError';
  }
}

/** Bytes this codec did not write (or a version it does not read). */
export class CodecFormatError extends Error {
  override name = 'CodecFormatError';
}

const plainKinds = new Set<unknown>([Object.prototype, null]);

// Built-in types V8 carries exactly (their prototypes, so a subclass is still
// refused: its own fields and methods would not survive).
const exactKinds = new Set<unknown>([
  Date.prototype,
  RegExp.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Number.prototype,
  String.prototype,
  Boolean.prototype,
  BigInt.prototype,
  Buffer.prototype,
  ...[
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  ].map((t) => t.prototype),
]);

// Errors cross as name, message and stack (V8 keeps those, and the built-in
// error classes); any other own property is dropped, which the docs say.
const errorKinds = new Set<unknown>(
  [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((t) => t.prototype),
);

function describeObject(o: object): string {
  const proto = Object.getPrototypeOf(o) as { constructor?: { name?: string } } | null;
  const name = proto?.constructor?.name;
  return name ? `an instance of class ${name}` : 'an object with a foreign prototype';
}

// Arrays longer than this are walked by their keys, so a sparse array of
// length 2**32 - 1 costs its few elements, not four billion steps.
const DENSE_WALK_LIMIT = 1 << 16;

/**
 * Throws UncarriableValueError for the first value inside `value` that the
 * codec cannot carry exactly; `path` names `value` itself in the message.
 */
export function checkCarriable(value: unknown, path: string): void {
  if (!simple(value)) check(value, path);
}

// Strings, numbers, booleans, bigints, undefined and null are always carried:
// the walk is entered only for anything else, since this check runs on every
// record that crosses.
function simple(x: unknown): boolean {
  const t = typeof x;
  return x === null || (t !== 'object' && t !== 'function' && t !== 'symbol');
}

// One step from a container to a value inside it: an array index, a property
// key, or a Map/Set position. The steps are kept on a stack and turned into
// text only when a value is refused, so a record that crosses builds no path.
type Step = number | string | { readonly marker: string };

function check(value: unknown, root: string): void {
  const trail: Step[] = [];
  try {
    walk(value, trail, new Set());
  } catch (e) {
    if (e instanceof Refusal) throw new UncarriableValueError(e.typeName, root + render(trail), e.detail);
    throw e;
  }
}

class Refusal {
  constructor(readonly typeName: string, readonly detail = '') {}
}

function render(trail: readonly Step[]): string {
  return trail
    .map((s) => (typeof s === 'number' ? `[${s}]` : typeof s === 'object' ? `<${s.marker}>` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
    .join('');
}

function walk(x: unknown, trail: Step[], seen: Set<object>): void {
  if (typeof x === 'function') {
    throw new Refusal(`a function (${(x as { name?: string }).name || 'anonymous'})`,
      'send functions as portable source or as a module reference');
  }
  if (typeof x === 'symbol') throw new Refusal(`a symbol (${String(x)})`);
  const o = x as object;
  if (seen.has(o)) return; // shared or cyclic: V8 keeps the reference
  seen.add(o);
  const proto = Object.getPrototypeOf(o) as unknown;
  if (proto === Array.prototype) {
    const a = o as unknown[];
    if (a.length <= DENSE_WALK_LIMIT) {
      for (let i = 0; i < a.length; i++) {
        if (simple(a[i]) || !(i in a)) continue;
        trail.push(i);
        walk(a[i], trail, seen);
        trail.pop();
      }
    } else {
      walkKeys(a, trail, seen);
    }
    // Named properties on an array are not walked (finding them costs an
    // Object.keys per array); V8 carries them, and refuses a function or a
    // symbol there itself, which encodeValues reports with the record.
    walkSymbols(a);
    return;
  }
  if (plainKinds.has(proto)) {
    walkKeys(o, trail, seen);
    walkSymbols(o);
    return;
  }
  if (proto === Map.prototype) {
    let i = 0;
    for (const [k, v] of o as Map<unknown, unknown>) {
      if (!simple(k)) {
        trail.push({ marker: `Map key ${i}` });
        walk(k, trail, seen);
        trail.pop();
      }
      if (!simple(v)) {
        trail.push({ marker: `Map value ${i}` });
        walk(v, trail, seen);
        trail.pop();
      }
      i++;
    }
    return;
  }
  if (proto === Set.prototype) {
    let i = 0;
    for (const v of o as Set<unknown>) {
      if (!simple(v)) {
        trail.push({ marker: `Set entry ${i}` });
        walk(v, trail, seen);
        trail.pop();
      }
      i++;
    }
    return;
  }
  if (exactKinds.has(proto) || errorKinds.has(proto)) return;
  if (proto === SharedArrayBuffer.prototype) {
    throw new Refusal('a SharedArrayBuffer', 'shared memory is set up between hosts, not sent as a value');
  }
  throw new Refusal(describeObject(o),
    'only plain objects, arrays, Map, Set, Date, RegExp, errors, typed arrays and primitives cross');
}

function walkKeys(o: object, trail: Step[], seen: Set<object>): void {
  const isArray = Array.isArray(o);
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    if (simple(v)) continue;
    trail.push(isArray && /^(0|[1-9]\d*)$/.test(k) ? Number(k) : k);
    walk(v, trail, seen);
    trail.pop();
  }
}

function walkSymbols(o: object): void {
  const symbols = Object.getOwnPropertySymbols(o);
  if (symbols.length > 0) throw new Refusal(`a symbol-keyed property (${String(symbols[0])})`);
}

/**
 * Encodes a run of values: one format-version byte, then the V8 encoding of
 * the array. `label` names the run in refusals (`records[3].user`).
 */
export function encodeValues(values: readonly unknown[], label = 'records'): Uint8Array {
  for (let i = 0; i < values.length; i++) if (!simple(values[i])) check(values[i], `${label}[${i}]`);
  const writer = new DefaultSerializer();
  // The version byte goes in front of V8's own header, in the same buffer.
  writer.writeRawBytes(VERSION_BYTE);
  writer.writeHeader();
  try {
    writer.writeValue(values);
  } catch (e) {
    // The check above should have refused it; name the record anyway.
    throw refusedByV8(values, label, e);
  }
  return writer.releaseBuffer();
}

const VERSION_BYTE = Buffer.from([CODEC_VERSION]);

function refusedByV8(values: readonly unknown[], label: string, e: unknown): Error {
  const detail = e instanceof Error ? e.message : String(e);
  for (let i = 0; i < values.length; i++) {
    try {
      serialize(values[i]);
    } catch {
      return new UncarriableValueError('a value V8 cannot serialise', `${label}[${i}]`, detail);
    }
  }
  return new UncarriableValueError('a value V8 cannot serialise', label, detail);
}

/** Decodes what encodeValues wrote. */
export function decodeValues(bytes: Uint8Array): unknown[] {
  if (bytes.length === 0) throw new CodecFormatError('empty value encoding');
  if (bytes[0] !== CODEC_VERSION) {
    throw new CodecFormatError(`value encoding has format version ${bytes[0]}; this build reads version ${CODEC_VERSION}`);
  }
  const reader = new DefaultDeserializer(bytes as Buffer);
  reader.readRawBytes(1);
  reader.readHeader();
  const values = reader.readValue() as unknown;
  if (!Array.isArray(values)) throw new CodecFormatError('value encoding does not hold a run of values');
  return values;
}
