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

const MAX_CHAIN = 1000;

function isRealmSource(p: FieldSource): p is { readonly [coreOf]: RealmCore } {
  return (p as { [coreOf]?: unknown })[coreOf] !== undefined;
}

/** The field's value, searching prototypes; Empty when no one defines it. */
export function lookupField(core: RealmCore, key: string): unknown {
  let at: RealmCore = core;
  for (let hops = 0; hops < MAX_CHAIN; hops++) {
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
  throw new Error(`field lookup for '${key}' exceeded ${MAX_CHAIN} prototypes`);
}

/** Would making `proto` the prototype of `core` create a cycle? */
export function wouldCycle(core: RealmCore, proto: FieldSource | null): boolean {
  let p = proto;
  for (let hops = 0; p !== null && hops < MAX_CHAIN; hops++) {
    if (!isRealmSource(p)) return false;
    const next = p[coreOf];
    if (next === core) return true;
    p = next.prototype;
  }
  return p !== null;
}
