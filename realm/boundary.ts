/**
 * A boundary: the place where a realm meets something outside its World, such
 * as the same realm on other machines. The realm tree knows nothing about what
 * is on the other side; it only tells the boundary three things and lets it
 * answer one question:
 *
 *   - a signal bubbled up to the bound realm and none of its traps took it:
 *     the boundary answers it (a promise of the reply; Empty when nobody on
 *     the other side answers either). Bubbling stops at the boundary, so a
 *     bound realm behaves as one realm spread over every place bound to it;
 *   - a plain handler (`on(topic)`) was installed on the bound realm or its
 *     last one for a topic went away, so the boundary knows which topics it
 *     can answer for the other side;
 *   - a proclamation pinned to the bound realm came into force or was
 *     withdrawn, with the realm that owns it, so the boundary can show it on
 *     the other side (and tell its own copies of remote state from local
 *     state by their owner).
 *
 * The hooks are called while a turn commits: they must not act on the realm
 * tree there and then (they may start asynchronous work).
 */
import type { RealmCore } from './core.js';
import { coreOf } from './fields.js';
import type { Realm } from './realm.js';

export interface BoundarySignal {
  readonly id: number;
  readonly topic: string;
  readonly args: readonly unknown[];
  /** The realm where the signal was raised (bubbling started there). */
  readonly origin: Realm;
}

export interface BoundaryProclamation {
  readonly topic: string;
  readonly args: readonly unknown[];
  /** The realm that asserted it. */
  readonly owner: Realm;
}

export interface RealmBoundary {
  /** Answer a signal no trap of the bound realm took; what the promise resolves to resumes its sender. */
  forward(signal: BoundarySignal): PromiseLike<unknown>;
  /** The number of plain handlers for `topic` on the bound realm changed to `count`. */
  handlersChanged?(topic: string, count: number): void;
  /** An assertion pinned to the bound realm came into force (`live`) or was withdrawn. */
  proclamationChanged?(proclamation: BoundaryProclamation, handle: object, live: boolean): void;
}

/**
 * Bind `realm` to `boundary` (undefined: unbind). A realm has at most one
 * boundary; binding one that is bound already is refused, so that two
 * bindings cannot silently take each other's signals.
 */
export function setBoundary(realm: Realm, boundary: RealmBoundary | undefined): void {
  const core = realm[coreOf];
  if (boundary !== undefined && core.boundary !== undefined) throw new Error(`realm ${core.label} is bound already`);
  core.boundary = boundary;
}

/** The topics that have plain handlers on the bound realm now, with their counts. */
export function handlerTopics(realm: Realm): Map<string, number> {
  const counts = new Map<string, number>();
  for (const trap of realm[coreOf].traps) if (trap.topic !== undefined && !trap.removed) counts.set(trap.topic, (counts.get(trap.topic) ?? 0) + 1);
  return counts;
}

/** Tell the boundary of `at` that its handlers for `topic` changed. */
export function noteHandlers(at: RealmCore, topic: string | undefined): void {
  const boundary = at.boundary;
  if (boundary?.handlersChanged === undefined || topic === undefined) return;
  let count = 0;
  for (const trap of at.traps) if (trap.topic === topic && !trap.removed) count++;
  boundary.handlersChanged(topic, count);
}

/** Tell the boundary of the realm an assertion is pinned to that it came into force or was withdrawn. */
export function noteProclamation(store: RealmCore, owner: RealmCore, topic: string, args: readonly unknown[], handle: object, live: boolean): void {
  const boundary = store.boundary;
  if (boundary?.proclamationChanged === undefined) return;
  boundary.proclamationChanged({ topic, args, owner: owner.facade }, handle, live);
}

/**
 * Call `waker` when the World of `realm` has work scheduled from outside a
 * run (an answer came across the boundary): whoever binds a realm drives its
 * World. Returns the cancel function.
 */
export function onWorldWake(realm: Realm, waker: () => void): () => void {
  return realm[coreOf].kernel.onWake(waker);
}

/** Every assertion pinned to `realm` now, one per handle (for a boundary bound after they were made). */
export function pinnedProclamations(realm: Realm): { readonly proclamation: BoundaryProclamation; readonly handle: object }[] {
  const out: { proclamation: BoundaryProclamation; handle: object }[] = [];
  for (const entry of realm[coreOf].store.values()) {
    for (const h of entry.handles) out.push({ proclamation: { topic: h.topic, args: h.args, owner: h.owner.facade }, handle: h });
  }
  return out;
}
