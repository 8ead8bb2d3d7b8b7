/**
 * Value helpers shared by the realm modules: structural identity of tuples
 * (so equal proclamations can be counted) and a stable textual description
 * (so traces are byte-identical for identical inputs).
 */
import { Empty } from './empty.js';

/** Objects that want a specific description in traces implement this. */
export const describeTag: unique symbol = Symbol('pushback.realm.describe');
export interface Describable {
  [describeTag](): string;
}

/**
 * Plain data (primitives, arrays, plain objects) compares by structure;
 * everything else (realms, functions, class instances) by identity.
 */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

// Identity-compared values get a number the first time they appear in a key.
// The number only has to be unique for the life of the object, never stable
// across runs, because keys never reach traces (descriptions do).
const identities = new WeakMap<object, number>();
// Held weakly too: a fresh `Symbol()` used once as an argument must not stay
// in this table for ever. (Registered symbols cannot be held weakly; they are
// keyed by their registry name instead.)
const symbolIdentities = new WeakMap<object, number>();
let nextIdentity = 1;

function identityOf(x: object): number {
  let id = identities.get(x);
  if (id === undefined) identities.set(x, (id = nextIdentity++));
  return id;
}

function symbolIdentityOf(x: symbol): string {
  if (x === Empty) return '___';
  const registered = Symbol.keyFor(x);
  if (registered !== undefined) return `@${JSON.stringify(registered)}`;
  const key = x as unknown as object; // unregistered symbols may be WeakMap keys (ES2023)
  let id = symbolIdentities.get(key);
  if (id === undefined) symbolIdentities.set(key, (id = nextIdentity++));
  return `@#${id}`;
}

/** A string that is equal for two tuples exactly when they are structurally equal. */
export function tupleKey(topic: string, args: readonly unknown[]): string {
  let out = JSON.stringify(topic);
  for (let i = 0; i < args.length; i++) out += ',' + valueKey(args[i], 0);
  return out;
}

const MAX_DEPTH = 64;

export function valueKey(x: unknown, depth: number): string {
  switch (typeof x) {
    case 'string':
      return JSON.stringify(x);
    case 'number':
      // -0 and 0 are the same state; NaN equals NaN (SameValueZero).
      return x === 0 ? '0' : String(x);
    case 'bigint':
      return `${x}n`;
    case 'boolean':
      return x ? 'T' : 'F';
    case 'undefined':
      return 'U';
    case 'symbol':
      return symbolIdentityOf(x);
    case 'function':
      return `&${identityOf(x)}`;
    default:
      break;
  }
  if (x === null) return 'N';
  if (depth > MAX_DEPTH) throw new TypeError(`a value nested deeper than ${MAX_DEPTH} levels (or cyclic) cannot be part of a tuple`);
  if (Array.isArray(x)) {
    let out = '[';
    for (let i = 0; i < x.length; i++) out += (i ? ',' : '') + valueKey(x[i], depth + 1);
    return out + ']';
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x).sort();
    let out = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      out += (i ? ',' : '') + JSON.stringify(k) + ':' + valueKey(x[k], depth + 1);
    }
    return out + '}';
  }
  return `&${identityOf(x as object)}`;
}

/** Structural equality with the same rules as `valueKey`. */
export function structurallyEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a !== a && b !== b; // NaN
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (depth > MAX_DEPTH) throw new TypeError(`values nested deeper than ${MAX_DEPTH} levels (or cyclic) cannot be compared`);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!structurallyEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(a) || !isPlainObject(b) || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!structurallyEqual(a[k], b[k], depth + 1)) return false;
  }
  return true;
}

/**
 * A stable, human-readable description of a value for traces. Unlike keys
 * it never uses identity numbers, so two runs with the same inputs describe
 * values identically.
 */
export function describe(x: unknown, depth = 0): string {
  switch (typeof x) {
    case 'string':
      return JSON.stringify(x);
    case 'number':
      return Object.is(x, -0) ? '-0' : String(x);
    case 'bigint':
      return `${x}n`;
    case 'boolean':
    case 'undefined':
      return String(x);
    case 'symbol':
      return x === Empty ? '___' : x.toString();
    case 'function':
      return x.name ? `fn ${x.name}` : 'fn';
    default:
      break;
  }
  if (x === null) return 'null';
  if (depth > 8) return '…';
  const tagged = (x as Partial<Describable>)[describeTag];
  if (typeof tagged === 'function') return tagged.call(x);
  if (Array.isArray(x)) return `[${x.map((v) => describe(v, depth + 1)).join(', ')}]`;
  if (isPlainObject(x)) {
    const parts = Object.keys(x).map((k) => `${k}: ${describe(x[k], depth + 1)}`);
    return `{${parts.join(', ')}}`;
  }
  if (x instanceof Error) return `${x.name}(${JSON.stringify(x.message)})`;
  const ctor = (x as object).constructor;
  return `<${typeof ctor === 'function' && ctor.name ? ctor.name : 'object'}>`;
}

export function describeTuple(sigil: string, topic: string, args: readonly unknown[]): string {
  return `${sigil}${topic}(${args.map((a) => describe(a)).join(', ')})`;
}
