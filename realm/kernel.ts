/**
 * The kernel of a realm tree: the scheduler it runs on, its id counters, the
 * turn in progress, the count of pending signals and the optional trace.
 * One World owns one kernel.
 */
import type { Scheduler } from '../engine/scheduler.js';
import type { RealmCore } from './core.js';
import type { Trace, TurnKind } from './trace.js';
import { Turn, type Effect, type Facet } from './turn.js';

export interface TurnFailure {
  readonly error: unknown;
  /** The rolled-back turn, or null when the failure happened outside a turn (in a vassal rule). */
  readonly turn: number | null;
  readonly realm: string;
  readonly kind: TurnKind;
}

export interface UnhandledSignal {
  readonly id: number;
  readonly topic: string;
  readonly args: readonly unknown[];
  /** Label of the realm that sent it. */
  readonly from: string;
}

export interface KernelHooks {
  /** A handler threw (its turn was rolled back). Without a hook the error propagates out of the scheduler. */
  readonly onError?: (failure: TurnFailure) => void;
  /** A signal reached the World unhandled; it has already been discarded. */
  readonly onUnhandled?: (signal: UnhandledSignal) => void;
  /**
   * How many signals one realm may have pending (sent and not yet answered);
   * past it `signal` and `post` throw a SignalOverflowError. A realm may set
   * its own (RealmOptions). Default: DEFAULT_MAX_PENDING_SIGNALS.
   */
  readonly maxPendingSignals?: number;
}

export const DEFAULT_MAX_PENDING_SIGNALS = 10_000;

/** Sizes of every table the realm tree keeps; tests compare these before and after. */
export interface RealmStats {
  readonly realms: number;
  readonly pendingSignals: number;
  readonly sentSignals: number;
  readonly trappedSignals: number;
  readonly proclamations: number;
  readonly proclamationHandles: number;
  readonly subscriptions: number;
  readonly subscriptionInstances: number;
  readonly traps: number;
  readonly fields: number;
  readonly scheduledTasks: number;
}

export class Kernel {
  active: Turn | null = null;
  /** The turn being committed: tasks scheduled now are caused by it. */
  #committing: Turn | null = null;
  #uncaught: unknown[] = [];
  #nextTurn = 1;
  #nextSignal = 1;
  #nextRealm = 0;
  readonly realms = new Set<RealmCore>();
  /** Signals sent and not yet answered (a count: the signals themselves hang off their sender). */
  pendingSignals = 0;
  readonly maxPendingSignals: number;
  /**
   * Installed subscriptions that see proclamations, by topic ('' for those
   * that see every topic), so that code publishing state can ask "does anyone
   * listen?" before it builds a tuple.
   */
  readonly #interest = new Map<string, number>();
  readonly #interestWatchers = new Set<() => void>();
  /** Told when work was scheduled from outside any run (an asynchronous reply): whoever drives the World. */
  readonly #wakers = new Set<() => void>();

  constructor(
    readonly scheduler: Scheduler,
    readonly trace: Trace | null,
    readonly hooks: KernelHooks,
  ) {
    this.maxPendingSignals = checkBound(hooks.maxPendingSignals ?? DEFAULT_MAX_PENDING_SIGNALS);
  }

  get tracing(): boolean {
    return this.trace !== null;
  }

  nextRealmId(): number {
    return this.#nextRealm++;
  }

  nextSignalId(): number {
    return this.#nextSignal++;
  }

  /** True if some installed subscription would see a proclamation on `topic`. */
  interested(topic: string): boolean {
    return this.#interest.has(topic) || this.#interest.has('');
  }

  /**
   * Call `watcher` whenever a topic gains its first listening subscription or
   * loses its last one. It is called while that change commits, so it must
   * not act on the realm tree itself (it may schedule or defer work). Returns
   * the cancel function.
   */
  watchInterest(watcher: () => void): () => void {
    this.#interestWatchers.add(watcher);
    return () => void this.#interestWatchers.delete(watcher);
  }

  /**
   * Call `waker` when work is scheduled from outside a run of the scheduler
   * (a handler's promise settled): the engine uses it to run the World.
   * Returns the cancel function.
   */
  onWake(waker: () => void): () => void {
    this.#wakers.add(waker);
    return () => void this.#wakers.delete(waker);
  }

  /** Work was scheduled from outside a run: tell whoever drives the World. */
  wake(): void {
    if (this.scheduler.pending === 0 && this.#uncaught.length === 0) return;
    for (const waker of [...this.#wakers]) waker();
  }

  /** A subscription that sees proclamations on `topic` ('' for every topic) was installed (+1) or ended (-1). */
  noteInterest(topic: string, delta: 1 | -1): void {
    const n = (this.#interest.get(topic) ?? 0) + delta;
    if (n > 0) this.#interest.set(topic, n);
    else this.#interest.delete(topic);
    if ((n === 1 && delta === 1) || n === 0) {
      for (const watcher of [...this.#interestWatchers]) watcher();
    }
  }

  /** Id of the turn being committed, or null outside commits. */
  get committingId(): number | null {
    return this.#committing?.id ?? null;
  }

  /** The realm acting right now, if any turn is open. */
  get actor(): RealmCore | null {
    return this.active?.actor ?? null;
  }

  /**
   * Schedule work caused by the turn being committed (or by `cause`, for work
   * scheduled outside commits). The task receives that cause so the turns it
   * runs can name it.
   */
  later(task: (cause: number | null) => void, cause: number | null = this.#committing?.id ?? null): void {
    this.scheduler.schedule(() => {
      task(cause);
      // A failed turn without an onError hook: rethrow once the task has
      // finished its own cleanup, so the failure is loud but the tables stay
      // consistent.
      if (this.#uncaught.length > 0) throw this.#uncaught.shift();
    });
  }

  /** Buffer an effect in the open turn, or apply it at once as a one-effect external turn. */
  perform(actor: RealmCore, effect: Effect): void {
    const turn = this.active;
    if (turn !== null) {
      turn.effects.push(effect);
      return;
    }
    const external = new Turn(this.#nextTurn++, null, actor, 'external', '');
    external.effects.push(effect);
    this.#commit(external);
  }

  /** The facet of the open turn (a subscription body is running), if any. */
  get facet(): Facet | null {
    return this.active?.facet ?? null;
  }

  /** Record a field write so that a rollback can undo it. */
  recordUndo(undo: () => void): void {
    this.active?.undo.push(undo);
  }

  /**
   * Run `body` as one turn. Returns true if it committed. On failure the
   * turn is rolled back and then either rethrown (`'throw'`, for external
   * callers who can catch it) or reported (`'report'`, for scheduled work).
   */
  runTurn(
    actor: RealmCore,
    kind: TurnKind,
    label: () => string,
    cause: number | null,
    body: () => unknown,
    onFailure: 'throw' | 'report',
    facet: Facet | null = null,
  ): boolean {
    if (this.active !== null) throw new Error('a turn is already open (was the scheduler run from inside a turn?)');
    const turn = new Turn(this.#nextTurn++, cause, actor, kind, this.tracing ? label() : '');
    turn.facet = facet;
    this.active = turn;
    try {
      // User code returning a promise (an async callback): its rejection is a failure too.
      const result = body();
      if (result !== undefined) this.watchAsync(result, actor, kind);
    } catch (error) {
      this.active = null;
      this.#rollback(turn, error);
      if (onFailure === 'throw') throw error;
      this.#report({ error, turn: turn.id, realm: actor.label, kind });
      return false;
    }
    this.active = null;
    this.#commit(turn);
    return true;
  }

  /**
   * Report a failure of user code that ran outside a turn (a vassal rule
   * evaluated while a signal bubbles): to onError, or rethrown once the
   * current task is done.
   */
  fail(error: unknown, realm: RealmCore, kind: TurnKind): void {
    this.#report({ error, turn: null, realm: realm.label, kind });
  }

  /**
   * To onError, or rethrown once the current task is done. An onError hook
   * that throws is itself rethrown that way: it must not unwind through the
   * code that answers the failed handler's sender.
   */
  #report(failure: TurnFailure): void {
    const hook = this.hooks.onError;
    if (hook === undefined) {
      // Outside any task (an asynchronous handler rejected): the next run reports it.
      if (this.scheduler.running) this.#uncaught.push(failure.error);
      else this.later(() => this.#uncaught.push(failure.error));
      return;
    }
    try {
      hook(failure);
    } catch (hookError) {
      this.#uncaught.push(hookError);
    }
  }

  /**
   * User code ran in a turn of `realm` and returned `result`. If that is a
   * promise (an async body, callback or peek), its rejection is that code's
   * failure: reported like a throw, never left as an unhandled rejection
   * that would end the process. Its value is not waited for.
   */
  watchAsync(result: unknown, realm: RealmCore, kind: TurnKind): void {
    if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return;
    if (typeof (result as { then?: unknown }).then !== 'function') return;
    Promise.resolve(result as PromiseLike<unknown>).then(undefined, (error: unknown) => {
      this.fail(error, realm, kind);
      this.wake();
    });
  }

  /** Add a line to the trace record of the turn being committed. */
  note(text: string): void {
    this.#notes?.push(text);
  }

  #notes: string[] | null = null;

  #commit(turn: Turn): void {
    const outer = this.#committing;
    const outerNotes = this.#notes;
    this.#committing = turn;
    const notes: string[] | null = this.tracing ? [] : null;
    this.#notes = notes;
    try {
      for (const effect of turn.effects) effect.apply();
    } finally {
      this.#committing = outer;
      this.#notes = outerNotes;
    }
    if (notes !== null) {
      this.trace!.add({
        turn: turn.id,
        cause: turn.cause,
        realm: turn.actor.label,
        kind: turn.kind,
        label: turn.label,
        effects: notes,
        outcome: 'committed',
      });
    }
  }

  #rollback(turn: Turn, error: unknown): void {
    for (let i = turn.undo.length - 1; i >= 0; i--) turn.undo[i]();
    for (const effect of turn.effects) effect.discard?.();
    if (this.trace !== null) {
      this.trace.add({
        turn: turn.id,
        cause: turn.cause,
        realm: turn.actor.label,
        kind: turn.kind,
        label: turn.label,
        effects: turn.effects.map((e) => e.describe()),
        outcome: 'rolled back',
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }

  stats(): RealmStats {
    let sentSignals = 0;
    let trappedSignals = 0;
    let proclamations = 0;
    let proclamationHandles = 0;
    let subscriptions = 0;
    let subscriptionInstances = 0;
    let traps = 0;
    let fields = 0;
    // Subscriptions and traps are counted where they sit (on live realms), so
    // one left behind by a stopped owner shows up as a leak.
    for (const core of this.realms) {
      sentSignals += core.sent.size;
      trappedSignals += core.trapped.size;
      proclamations += core.store.size;
      proclamationHandles += core.owned.size;
      const observing = new Set([...core.subsAnyTopic, ...core.signalSubs]);
      for (const set of core.subsByTopic.values()) for (const sub of set) observing.add(sub);
      subscriptions += observing.size;
      for (const sub of observing) subscriptionInstances += sub.live;
      traps += core.traps.length;
      fields += core.fields.size;
    }
    return {
      realms: this.realms.size,
      pendingSignals: this.pendingSignals,
      sentSignals,
      trappedSignals,
      proclamations,
      proclamationHandles,
      subscriptions,
      subscriptionInstances,
      traps,
      fields,
      scheduledTasks: this.scheduler.pending,
    };
  }
}

/** A bound on pending signals: a whole number, at least 1. */
export function checkBound(n: unknown): number {
  if (typeof n !== 'number' || !(Number.isInteger(n) || n === Infinity) || n < 1) {
    throw new TypeError(`maxPendingSignals must be a whole number of at least 1 (or Infinity), got ${String(n)}`);
  }
  return n;
}
