/**
 * Realms are also maps. A field missing from a realm is looked up in its
 * prototype: by default the parent realm (so a worker sees its supervisor's
 * configuration), or any named prototype given at creation.
 */
import type { RealmCore } from './core.js';
import { Empty } from './empty.js';

/** What a realm can delegate field lookups to. */
export type FieldSource =
  | { readonly [coreOf]: RealmCore }
  | ReadonlyMap<string, unknown>
  | Readonly<Record<string, unknown>>;

/** Lets a realm facade be used as a prototype without exposing its core publicly. */
export const coreOf: unique symbol = Symbol('pushback.realm.core');

function isRealmSource(p: FieldSource): p is { readonly [coreOf]: RealmCore } {
  return (p as { [coreOf]?: unknown })[coreOf] !== undefined;
}

/**
 * The field's value, searching prototypes; Empty when no one defines it.
 * Chains of any length are followed: they cannot be cyclic, since setting a
 * prototype refuses a cycle (and a new realm is no one's prototype yet).
 */
export function lookupField(core: RealmCore, key: string): unknown {
  let at: RealmCore = core;
  for (;;) {
    if (at.fields.has(key)) return at.fields.get(key);
    const proto = at.prototype;
    if (proto === null) return Empty;
    if (isRealmSource(proto)) {
      at = proto[coreOf];
      continue;
    }
    if (proto instanceof Map) return proto.has(key) ? proto.get(key) : Empty;
    const record = proto as Readonly<Record<string, unknown>>;
    return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : Empty;
  }
}

/** Would making `proto` the prototype of `core` create a cycle? */
export function wouldCycle(core: RealmCore, proto: FieldSource | null): boolean {
  // Walks the whole chain, however long: only reaching `core` again is a cycle.
  for (let p = proto; p !== null; ) {
    if (!isRealmSource(p)) return false;
    const next = p[coreOf];
    if (next === core) return true;
    p = next.prototype;
  }
  return false;
}
