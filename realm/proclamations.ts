/**
 * Proclamations (`$topic(args)`): persistent state pinned to a realm.
 *
 * A realm's store is a multiset of tuples. Equal proclamations (structurally
 * equal topic and arguments) share one entry with a count: subscribers hear
 * "added" when the count goes 0 → 1 and "removed" when it goes back to 0,
 * never in between. Each assertion has a handle owned by the realm that
 * made it, so stopping that realm retracts exactly what it asserted.
 */
import type { RealmCore } from './core.js';
import { Empty } from './empty.js';
import type { Kernel } from './kernel.js';
import type { Tuple } from './pattern.js';
import { notifyAdded, notifyRemoved, type Instance } from './subscriptions.js';
import { describeTuple, tupleKey } from './values.js';
import { noteProclamation } from './boundary.js';

export interface Proclamation {
  readonly topic: string;
  readonly args: readonly unknown[];
  /** True while the assertion is in force (after its turn committed, until retracted). */
  readonly live: boolean;
  /** Withdraw this assertion (idempotent; buffered in the current turn). */
  retract(): void;
}

export class Entry {
  count = 0;
  readonly handles = new Set<ProclamationHandle>();
  /** Subscription instances started by this tuple; they end when it goes away. */
  instances: Instance[] = [];
  readonly tuple: Tuple;

  constructor(
    readonly key: string,
    topic: string,
    args: readonly unknown[],
  ) {
    this.tuple = { kind: '$', topic, args };
  }
}

export class ProclamationHandle implements Proclamation {
  live = false;
  #retractRequested = false;

  constructor(
    readonly kernel: Kernel,
    readonly owner: RealmCore,
    readonly store: RealmCore,
    readonly topic: string,
    readonly args: readonly unknown[],
    readonly key: string,
  ) {}

  retract(): void {
    if (this.#retractRequested) return;
    this.#retractRequested = true;
    const kernel = this.kernel;
    kernel.perform(kernel.actor ?? this.owner, {
      apply: () => retractNow(kernel, this),
      discard: () => {
        this.#retractRequested = false;
      },
      describe: () => `retract ${describeTuple('$', this.topic, this.args)} from ${this.store.label}`,
    });
  }
}

/** A handle that was never in force (a refused or Empty assertion). */
export const deadProclamation = (topic: string, args: readonly unknown[]): Proclamation =>
  Object.freeze({ topic, args, live: false, retract() {} });

/**
 * Assert `topic(args)` in `store` on behalf of `owner`. Asserting Empty
 * (`proclaim(topic, Empty)`) retracts what `owner` proclaimed on that topic
 * in `store`, and nothing anyone else did: you retract what you asserted.
 */
export function proclaim(kernel: Kernel, owner: RealmCore, store: RealmCore, topic: string, args: readonly unknown[]): Proclamation {
  if (args.length === 1 && args[0] === Empty) {
    kernel.perform(owner, {
      apply: () => retractTopicNow(kernel, owner, store, topic),
      describe: () => `retract $${topic}(___) by ${owner.label} in ${store.label}`,
    });
    return deadProclamation(topic, args);
  }
  if (args.includes(Empty)) throw new TypeError(`$${topic}: Empty may only be asserted alone (it means "retract")`);
  const handle = new ProclamationHandle(kernel, owner, store, topic, args, tupleKey(topic, args));
  // Asserted by a subscription body: it ends with that match.
  const facet = kernel.facet;
  if (facet !== null) (facet.ends ??= []).push(() => handle.retract());
  kernel.perform(owner, {
    apply: () => assertNow(kernel, handle),
    describe: () => `assert ${describeTuple('$', topic, args)} in ${store.label}`,
  });
  return handle;
}

function assertNow(kernel: Kernel, h: ProclamationHandle): void {
  const { store, owner } = h;
  if (store.stopped || owner.stopped) {
    if (kernel.tracing) kernel.note(`assert ${describeTuple('$', h.topic, h.args)} in ${store.label} dropped (realm stopped)`);
    return;
  }
  let entry = store.store.get(h.key);
  if (entry === undefined) {
    entry = new Entry(h.key, h.topic, h.args);
    store.store.set(h.key, entry);
    let topicSet = store.byTopic.get(h.topic);
    if (topicSet === undefined) store.byTopic.set(h.topic, (topicSet = new Set()));
    topicSet.add(entry);
  }
  entry.count++;
  entry.handles.add(h);
  owner.owned.add(h);
  h.live = true;
  if (store.boundary !== undefined) noteProclamation(store, owner, h.topic, h.args, h, true);
  if (kernel.tracing) kernel.note(`assert ${describeTuple('$', h.topic, h.args)} in ${store.label} (count ${entry.count})`);
  if (entry.count === 1) notifyAdded(kernel, store, entry);
}

/** Withdraw one assertion at once (while committing). */
export function retractNow(kernel: Kernel, h: ProclamationHandle): void {
  if (!h.live) return;
  h.live = false;
  h.owner.owned.delete(h);
  const store = h.store;
  const entry = store.store.get(h.key);
  if (entry === undefined || !entry.handles.delete(h)) return;
  if (store.boundary !== undefined) noteProclamation(store, h.owner, h.topic, h.args, h, false);
  entry.count--;
  if (kernel.tracing) kernel.note(`retract ${describeTuple('$', h.topic, h.args)} from ${store.label} (count ${entry.count})`);
  if (entry.count > 0) return;
  store.store.delete(h.key);
  const topicSet = store.byTopic.get(h.topic);
  if (topicSet !== undefined) {
    topicSet.delete(entry);
    if (topicSet.size === 0) store.byTopic.delete(h.topic);
  }
  notifyRemoved(kernel, entry);
}

function retractTopicNow(kernel: Kernel, owner: RealmCore, store: RealmCore, topic: string): void {
  if (kernel.tracing) kernel.note(`retract $${topic}(___) by ${owner.label} in ${store.label}`);
  const entries = store.byTopic.get(topic);
  if (entries === undefined) return;
  // Only the owner's handles: what others asserted on the topic stays.
  for (const entry of [...entries]) for (const h of [...entry.handles]) if (h.owner === owner) retractNow(kernel, h);
}
