/**
 * Subscriptions (`realm <> [pattern] -> body`).
 *
 * A subscription runs one handler instance per matching tuple: when a
 * proclamation appears, its body runs (in a turn of the subscriber); when the
 * proclamation goes away, the cleanup the body returned runs, exactly once.
 * Signals passing through the observed realm are matched too (for patterns
 * that allow `#`); their instance ends when the signal is answered.
 *
 * Every instance runs its body before its cleanup, whatever order the
 * scheduler picks: the cleanup is only scheduled after the body has run.
 */
import type { RealmCore } from './core.js';
import type { Kernel } from './kernel.js';
import { matchOf, type CompiledPattern, type Match, type Tuple } from './pattern.js';
import type { Entry } from './proclamations.js';
import { describeTuple } from './values.js';
import type { Facet } from './turn.js';

/** Runs once per match; may return a cleanup to run when the match goes away. */
/** A body may return its cleanup, or a promise (watched: a rejection is reported as the body's failure). */
export type SubscriptionBody = (m: Match) => void | (() => void) | PromiseLike<unknown>;

/** One match of a subscription; it is also the facet its body runs in. */
export interface Instance extends Facet {
  readonly sub: Subscription;
  readonly match: Match;
  state: 'pending' | 'active' | 'done';
  /** The match went away (or the subscription ended). */
  ended: boolean;
  cleanup: (() => void) | undefined;
  /** The turn that ended the match: the cause of the cleanup turn. */
  endCause: number | null;
}

export class Subscription {
  /** Instances whose match has not gone away yet. */
  live = 0;
  installed = false;
  cancelled = false;

  constructor(
    readonly owner: RealmCore,
    readonly target: RealmCore,
    readonly pattern: CompiledPattern,
    readonly body: SubscriptionBody,
  ) {}

  get seesProclamations(): boolean {
    return this.pattern.kind === undefined || this.pattern.kind === '$';
  }

  get seesSignals(): boolean {
    return this.pattern.kind === undefined || this.pattern.kind === '#';
  }
}

export function newInstance(sub: Subscription, t: Tuple, bindings: Readonly<Record<string, unknown>>): Instance {
  sub.live++;
  return { sub, match: matchOf(t, bindings), state: 'pending', ended: false, cleanup: undefined, ends: undefined, endCause: null };
}

const label = (inst: Instance) => () =>
  `${describeTuple(inst.match.kind, inst.match.topic, inst.match.args)} for ${inst.sub.pattern.source}`;

export function scheduleBody(kernel: Kernel, inst: Instance, cause?: number | null): void {
  const run = (c: number | null) => {
    if (inst.state !== 'pending') return;
    if (inst.sub.cancelled) return cancelInstance(kernel, inst);
    let cleanup: (() => void) | undefined;
    const ok = kernel.runTurn(inst.sub.owner, 'added', label(inst), c, () => {
      const result: unknown = inst.sub.body(inst.match);
      if (typeof result === 'function') cleanup = result as () => void;
      else return result; // a promise: watched by the turn
    }, 'report', inst);
    if (!ok) {
      inst.state = 'done';
      inst.ends = undefined;
      return;
    }
    inst.state = 'active';
    inst.cleanup = cleanup;
    if (inst.ended) scheduleCleanup(kernel, inst);
  };
  if (cause === undefined) kernel.later(run);
  else kernel.later(run, cause);
}

function scheduleCleanup(kernel: Kernel, inst: Instance): void {
  kernel.later((c) => {
    if (inst.state !== 'active') return;
    inst.state = 'done';
    const cleanup = inst.cleanup;
    const ends = inst.ends;
    inst.cleanup = undefined;
    inst.ends = undefined;
    // The match's own assertions go first, in a turn of their own, so that a
    // cleanup that throws cannot keep them.
    if (ends !== undefined) {
      kernel.runTurn(inst.sub.owner, 'cleanup', label(inst), c, () => {
        for (const end of ends) end();
      }, 'report');
    }
    if (cleanup !== undefined) kernel.runTurn(inst.sub.owner, 'cleanup', label(inst), c, cleanup, 'report');
  }, inst.endCause);
}

/** The match went away: run the cleanup once the body has run. */
export function endInstance(kernel: Kernel, inst: Instance): void {
  if (inst.ended) return;
  inst.ended = true;
  inst.sub.live--;
  inst.endCause = kernel.committingId;
  if (inst.state === 'active') scheduleCleanup(kernel, inst);
}

/** The subscription ended: a body that has not run yet never will. */
function cancelInstance(kernel: Kernel, inst: Instance): void {
  if (inst.ended) return;
  if (inst.state === 'pending') {
    inst.state = 'done';
    inst.ended = true;
    inst.sub.live--;
    inst.endCause = kernel.committingId;
    return;
  }
  endInstance(kernel, inst);
}

/** Install a subscription (buffered in the current turn); existing matches are replayed. */
export function subscribe(kernel: Kernel, owner: RealmCore, target: RealmCore, pattern: CompiledPattern, body: SubscriptionBody): Subscription {
  if (pattern.kind === '.') throw new TypeError(`pattern ${pattern.source}: calls ('.') are not realm events`);
  const sub = new Subscription(owner, target, pattern, body);
  // Made by a subscription body: it ends with that match.
  const facet = kernel.facet;
  if (facet !== null) (facet.ends ??= []).push(() => unsubscribe(kernel, kernel.actor ?? owner, sub));
  kernel.perform(owner, {
    apply() {
      if (sub.cancelled) return;
      if (owner.stopped || target.stopped) {
        sub.cancelled = true;
        return;
      }
      sub.installed = true;
      owner.ownedSubs.add(sub);
      if (sub.seesProclamations) {
        if (pattern.kind === '$' && pattern.topic !== undefined) {
          let set = target.subsByTopic.get(pattern.topic);
          if (set === undefined) target.subsByTopic.set(pattern.topic, (set = new Set()));
          set.add(sub);
        } else {
          target.subsAnyTopic.add(sub);
        }
      }
      if (sub.seesSignals) target.signalSubs.add(sub);
      if (kernel.tracing) kernel.note(`subscribe ${pattern.source} on ${target.label}`);
      // A late subscriber sees what is already there.
      const entries = pattern.topic !== undefined ? target.byTopic.get(pattern.topic) : target.store.values();
      if (entries !== undefined && sub.seesProclamations) {
        for (const entry of entries) addMatch(kernel, sub, entry);
      }
      if (sub.seesProclamations) kernel.noteInterest(pattern.topic ?? '', 1);
    },
    discard() {
      sub.cancelled = true;
    },
    describe: () => `subscribe ${pattern.source} on ${target.label}`,
  });
  return sub;
}

/** End a subscription at once (while committing): live instances clean up. */
export function unsubscribeNow(kernel: Kernel, sub: Subscription): void {
  if (sub.cancelled) return;
  sub.cancelled = true;
  if (!sub.installed) return;
  const { target, pattern } = sub;
  if (pattern.kind === '$' && pattern.topic !== undefined) {
    const set = target.subsByTopic.get(pattern.topic);
    if (set !== undefined) {
      set.delete(sub);
      if (set.size === 0) target.subsByTopic.delete(pattern.topic);
    }
  } else {
    target.subsAnyTopic.delete(sub);
  }
  target.signalSubs.delete(sub);
  sub.owner.ownedSubs.delete(sub);
  if (sub.seesProclamations) kernel.noteInterest(pattern.topic ?? '', -1);
  // Instances hang off the entries they match (so that a retraction finds
  // them without a lookup per subscription); find this one's there.
  if (sub.live > 0 && sub.seesProclamations) {
    const entries = pattern.topic !== undefined ? target.byTopic.get(pattern.topic) : target.store.values();
    if (entries !== undefined) {
      for (const entry of entries) {
        const mine = entry.instances.filter((inst) => inst.sub === sub);
        if (mine.length === 0) continue;
        entry.instances = entry.instances.filter((inst) => inst.sub !== sub);
        for (const inst of mine) cancelInstance(kernel, inst);
      }
    }
  }
  if (kernel.tracing) kernel.note(`unsubscribe ${pattern.source} on ${target.label}`);
}

/** End a subscription when the current turn commits. */
export function unsubscribe(kernel: Kernel, actor: RealmCore, sub: Subscription): void {
  kernel.perform(actor, { apply: () => unsubscribeNow(kernel, sub), describe: () => `unsubscribe ${sub.pattern.source}` });
}

function addMatch(kernel: Kernel, sub: Subscription, entry: Entry): void {
  const bindings = sub.pattern.match(entry.tuple);
  if (bindings === null) return;
  const inst = newInstance(sub, entry.tuple, bindings);
  entry.instances.push(inst);
  scheduleBody(kernel, inst);
}

/** A tuple became present in `store` (count 0 → 1). */
export function notifyAdded(kernel: Kernel, store: RealmCore, entry: Entry): void {
  const byTopic = store.subsByTopic.get(entry.tuple.topic);
  if (byTopic !== undefined) for (const sub of byTopic) addMatch(kernel, sub, entry);
  for (const sub of store.subsAnyTopic) addMatch(kernel, sub, entry);
}

/** A tuple became absent (count 1 → 0): every instance it started ends. */
export function notifyRemoved(kernel: Kernel, entry: Entry): void {
  const instances = entry.instances;
  entry.instances = [];
  for (const inst of instances) endInstance(kernel, inst);
}
