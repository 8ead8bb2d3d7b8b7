/**
 * Where processes live. Every process lives in a realm: the container's own
 * (`io.realm`) unless it was created in another one. Placement is kept here,
 * off the process object, so that creating a process costs nothing more when
 * it stays in the container's realm (a merge creates a thousand per run).
 */
import type { Process } from '../process.js';
import type { Realm } from './realm.js';

const placed = new WeakMap<Process, Realm>();

/**
 * Hooks the engine calls on paths that must stay cheap when nobody listens:
 * each is undefined until the realm integration needs it.
 */
export const engineHooks: {
  /** `process` ended its stream on port number `port`. */
  ended: ((process: Process, port: number) => void) | undefined;
} = { ended: undefined };

/** Puts `p` in `realm`, which must belong to the same World as its container's realm. */
export function placeIn(p: Process, realm: Realm): void {
  if (realm.world !== p.io.realm.world) {
    throw new TypeError(`${p.label}: realm ${realm.label} belongs to another World than its container's realm ${p.io.realm.label}`);
  }
  placed.set(p, realm);
}

/** The realm `p` lives in. */
export function realmOf(p: Process): Realm {
  return placed.get(p) ?? p.io.realm;
}

/** The realm `p` was explicitly placed in, if any (processes made after it on a chain go there too). */
export function placement(p: Process): Realm | undefined {
  return placed.get(p);
}
