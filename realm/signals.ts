/**
 * Signals (`#topic(args)`) and replies (`^value`).
 *
 * A signal is a request: it starts at the realm it was raised in and bubbles
 * up the tree until a trap takes it; that trap's handler replies, now or in a
 * later turn, and the reply resumes exactly that signal's sender. Every
 * pending signal has its own id and the reply is bound to it, so two pending
 * signals on one topic can never be confused (the reference design resumed
 * "the latest frame with a matching trap", which mixes them up).
 *
 * A signal that reaches the World unhandled resumes its sender with Empty and
 * is dropped from every table: fire-and-forget signals cannot accumulate.
 */
import type { RealmCore } from './core.js';
import { Empty } from './empty.js';
import type { Kernel } from './kernel.js';
import type { Tuple } from './pattern.js';
import { endInstance, newInstance, scheduleBody, type Instance } from './subscriptions.js';
import { describe, describeTuple } from './values.js';
import { SignalOverflowError } from './errors.js';
import type { Effect } from './turn.js';
import { noteHandlers } from './boundary.js';

/** Receives a trapped signal; a returned value other than undefined is the reply. */
export type SignalHandler = (s: Signal) => unknown;
export type ReplyCallback = (value: unknown) => void;

/**
 * How a trap sees a tuple: which (possibly rewritten) tuples it receives, and
 * whether each is taken (the trap answers it and it stops bubbling) or peeked
 * (a copy to look at; bubbling continues and the copy cannot answer).
 */
export interface ViewOutput {
  readonly tuple: Tuple;
  readonly mode: 'take' | 'peek';
}
export type View = (t: Tuple) => readonly ViewOutput[];

export interface Trap {
  readonly owner: RealmCore;
  readonly at: RealmCore;
  /** Fast path for a plain `on(topic)` handler: takes exactly this topic. */
  readonly topic: string | undefined;
  /** General path (vassals): used when `topic` is undefined. */
  readonly view: View | undefined;
  readonly handler: SignalHandler;
  removed: boolean;
}

export class PendingSignal {
  /** 'forwarded': handed to the boundary of a bound realm (realm/boundary.ts), which answers it. */
  state: 'new' | 'travelling' | 'trapped' | 'forwarded' | 'settled' = 'new';
  trap: Trap | null = null;
  /** The realm where the current trap sits (bubbling resumes above it on pass). */
  at: RealmCore | null = null;
  /** Subscription instances observing this signal; they end when it is answered. */
  observers: Instance[] | null = null;
  readonly tuple: Tuple;

  constructor(
    readonly id: number,
    topic: string,
    args: readonly unknown[],
    /** Whose turn raised it: it is resumed, and its stopping drops the signal. */
    readonly sender: RealmCore,
    /** Where bubbling starts. */
    readonly origin: RealmCore,
    readonly onReply: ReplyCallback | undefined,
    readonly resolve: ((value: unknown) => void) | undefined,
  ) {
    this.tuple = { kind: '#', topic, args };
  }
}

/** What a handler receives. */
export class Signal {
  readonly id: number;
  readonly topic: string;
  readonly args: readonly unknown[];
  /** Label of the realm that raised the signal (a name, not a capability). */
  readonly from: string;
  /** A copy handed to a peeking trap: it cannot reply or pass. */
  readonly peeked: boolean;
  readonly #kernel: Kernel;
  readonly #pending: PendingSignal;
  readonly #trap: Trap;
  #acted = false;

  constructor(kernel: Kernel, pending: PendingSignal, trap: Trap, seen: Tuple, peeked: boolean) {
    this.#kernel = kernel;
    this.#pending = pending;
    this.#trap = trap;
    this.id = pending.id;
    this.topic = seen.topic;
    this.args = seen.args;
    this.from = pending.origin.label;
    this.peeked = peeked;
  }

  /** True once the signal has been answered (by anyone) or dropped. */
  get answered(): boolean {
    return this.#pending.state === 'settled';
  }

  /** True once this handler has replied or passed (possibly not yet committed). */
  get acted(): boolean {
    return this.#acted;
  }

  /**
   * Answer the signal, resuming its sender with `value`. Takes effect when
   * the current turn commits. A second reply, a reply to a signal whose
   * sender stopped, or a reply from a peeked copy does nothing.
   */
  reply(value?: unknown): void {
    if (this.peeked) return;
    this.#acted = true;
    const kernel = this.#kernel;
    const pending = this.#pending;
    const trap = this.#trap;
    // A promise (or any thenable) is not a reply: what it resolves to is.
    if (isThenable(value)) return awaitReply(kernel, pending, trap, this, value, true);
    kernel.perform(kernel.actor ?? trap.owner, {
      apply() {
        if (pending.state !== 'trapped' || pending.trap !== trap) {
          if (kernel.tracing) kernel.note(`reply s${pending.id} = ${describe(value)} dropped (${pending.state === 'settled' ? 'already answered' : 'not held by this handler'})`);
          return;
        }
        if (kernel.tracing) kernel.note(`reply s${pending.id} = ${describe(value)} to ${pending.sender.label}`);
        settle(kernel, pending, value);
      },
      describe: () => `reply s${pending.id} = ${describe(value)}`,
    });
  }

  /** Decline: let the signal bubble on above the realm where it was trapped. */
  pass(): void {
    if (this.peeked) return;
    this.#acted = true;
    const kernel = this.#kernel;
    const pending = this.#pending;
    const trap = this.#trap;
    kernel.perform(kernel.actor ?? trap.owner, {
      apply() {
        if (pending.state !== 'trapped' || pending.trap !== trap) return;
        const above = pending.at!.parent;
        trap.owner.trapped.delete(pending);
        pending.trap = null;
        pending.at = null;
        pending.state = 'travelling';
        if (kernel.tracing) kernel.note(`pass s${pending.id} above ${trap.at.label}`);
        kernel.later((cause) => deliver(kernel, pending, above, cause));
      },
      describe: () => `pass s${pending.id}`,
    });
  }
}

/**
 * Raise a signal (its sender's bound checked by the caller: admitSignal).
 * `sender` is resumed with the reply (through `onReply`, in
 * a turn of its own, and/or through `resolve`); `origin` is where bubbling
 * starts. Returns the signal's id.
 */
export function postSignal(
  kernel: Kernel,
  sender: RealmCore,
  origin: RealmCore,
  topic: string,
  args: readonly unknown[],
  onReply: ReplyCallback | undefined,
  resolve: ((value: unknown) => void) | undefined,
): number {
  const sig = new PendingSignal(kernel.nextSignalId(), topic, args, sender, origin, onReply, resolve);
  sender.raising++;
  kernel.perform(sender, {
    discard() {
      sender.raising--;
    },
    apply() {
      sender.raising--;
      if (sender.stopped || origin.stopped) {
        if (kernel.tracing) kernel.note(`post ${describeTuple('#', topic, args)} s${sig.id} dropped (realm stopped)`);
        sig.state = 'settled';
        resolve?.(Empty);
        return;
      }
      sig.state = 'travelling';
      kernel.pendingSignals++;
      sender.sent.add(sig);
      if (kernel.tracing) kernel.note(`post ${describeTuple('#', topic, args)} s${sig.id} from ${origin.label}`);
      kernel.later((cause) => deliver(kernel, sig, origin, cause));
    },
    describe: () => `post ${describeTuple('#', topic, args)} s${sig.id}`,
  });
  return sig.id;
}

/**
 * Refuse a signal past the sender's bound on pending signals (flow control:
 * a sender that outruns its handler is told at once, before anything is
 * sent). Counts the signals raised in turns not yet committed too.
 */
export function admitSignal(kernel: Kernel, sender: RealmCore, topic: string): void {
  const bound = sender.maxPendingSignals ?? kernel.maxPendingSignals;
  if (sender.sent.size + sender.raising >= bound) throw new SignalOverflowError(sender.label, topic, bound);
}

/**
 * Walk up from `from`, letting observers see the signal, until a trap takes
 * it. Peeking traps met on the way run before the taking one, innermost
 * first: a peek on a child sees the signal before its parent answers it.
 */
function deliver(kernel: Kernel, sig: PendingSignal, from: RealmCore | null, cause: number | null): void {
  if (sig.state !== 'travelling') return;
  let top: RealmCore | null = null;
  let peeks: Peek[] | null = null;
  for (let r = from; r !== null; r = r.parent) {
    top = r;
    if (r.signalSubs.size > 0) observe(kernel, r, sig, cause);
    const traps = r.traps;
    for (let i = traps.length - 1; i >= 0; i--) {
      const trap = traps[i];
      let taken: Tuple | null = null;
      if (trap.topic !== undefined) {
        if (trap.topic !== sig.tuple.topic) continue;
        taken = sig.tuple;
      } else {
        let outputs: readonly ViewOutput[];
        try {
          outputs = trap.view!(sig.tuple);
        } catch (error) {
          // A broken rule must not strand the signal: skip this trap, report it.
          kernel.fail(error, trap.owner, 'signal');
          continue;
        }
        for (const out of outputs) {
          if (out.mode === 'peek') (peeks ??= []).push({ trap, seen: out.tuple });
          else if (taken === null) taken = out.tuple;
        }
        if (taken === null) continue;
      }
      if (peeks !== null) {
        runPeeks(kernel, sig, peeks, cause);
        peeks = null;
        if (sig.state !== 'travelling') return; // its sender stopped meanwhile
        if (trap.removed || trap.owner.stopped) {
          i = Math.min(i, traps.length); // a peek's turn removed traps here: go on below this one
          continue;
        }
      }
      return runTrap(kernel, sig, r, trap, taken, cause);
    }
    if (r.boundary !== undefined) {
      // A bound realm is one realm spread over every place bound to it: what
      // its traps here did not take is the other side's to answer.
      if (peeks !== null) runPeeks(kernel, sig, peeks, cause);
      if (sig.state !== 'travelling') return;
      return forwardAcross(kernel, sig, r);
    }
  }
  if (peeks !== null) runPeeks(kernel, sig, peeks, cause);
  if (sig.state !== 'travelling') return;
  // Reached the top unhandled. `top` is null only when passed above the World.
  const world = top ?? rootOf(sig.origin);
  try {
    kernel.hooks.onUnhandled?.({ id: sig.id, topic: sig.tuple.topic, args: sig.tuple.args, from: sig.origin.label });
  } catch (error) {
    kernel.fail(error, world, 'signal'); // a broken logger must not keep the signal alive
  }
  kernel.runTurn(
    world,
    'signal',
    () => `${describeTuple('#', sig.tuple.topic, sig.tuple.args)} s${sig.id} unhandled`,
    cause,
    () => kernel.perform(world, answerEffect(kernel, sig, Empty, 'unhandled')),
    'throw',
  );
}

/**
 * Hand a signal to the boundary of the bound realm `at`. Its answer resumes
 * the sender in a turn of the World; a boundary that throws or rejects is
 * reported and the sender resumes with Empty, so no sender waits for ever on
 * a broken boundary. A sender that stops meanwhile has been answered already.
 */
function forwardAcross(kernel: Kernel, sig: PendingSignal, at: RealmCore): void {
  sig.state = 'forwarded';
  if (kernel.tracing) kernel.note(`forward s${sig.id} across ${at.label}`);
  const world = rootOf(at);
  const finish = (value: unknown, why: string): void => {
    if (sig.state !== 'forwarded') return;
    kernel.runTurn(world, 'signal', () => `s${sig.id} answered across ${at.label}`, null,
      () => kernel.perform(world, answerEffect(kernel, sig, value, why)), 'report');
    kernel.wake();
  };
  const failed = (error: unknown): void => {
    kernel.fail(error, at, 'signal');
    finish(Empty, 'boundary failed');
  };
  try {
    const answer = at.boundary!.forward({ id: sig.id, topic: sig.tuple.topic, args: sig.tuple.args, origin: sig.origin.facade });
    Promise.resolve(answer).then((value) => finish(value, 'across boundary'), failed);
  } catch (error) {
    failed(error);
  }
}

interface Peek {
  readonly trap: Trap;
  readonly seen: Tuple;
}

function rootOf(core: RealmCore): RealmCore {
  let r = core;
  while (r.parent !== null) r = r.parent;
  return r;
}

function runTrap(kernel: Kernel, sig: PendingSignal, at: RealmCore, trap: Trap, seen: Tuple, cause: number | null): void {
  sig.state = 'trapped';
  sig.trap = trap;
  sig.at = at;
  trap.owner.trapped.add(sig);
  const s = new Signal(kernel, sig, trap, seen, false);
  const label = () => `${describeTuple('#', seen.topic, seen.args)} s${sig.id} at ${at.label}`;
  let promised: PromiseLike<unknown> | undefined;
  const ok = kernel.runTurn(trap.owner, 'signal', label, cause, () => {
    const value = trap.handler(s);
    if (value === undefined || s.acted) return;
    if (isThenable(value)) promised = value;
    else s.reply(value);
  }, 'report');
  if (!ok) handlerFailed(kernel, sig, trap, cause);
  else if (promised !== undefined) awaitReply(kernel, sig, trap, s, promised);
}

/** The handler's turn rolled back, reply included: answer Empty so that the sender is not stranded. */
function handlerFailed(kernel: Kernel, sig: PendingSignal, trap: Trap, cause: number | null): void {
  if (sig.state !== 'trapped' || sig.trap !== trap) return;
  kernel.runTurn(trap.owner, 'signal', () => `s${sig.id} handler failed`, cause,
    () => kernel.perform(trap.owner, answerEffect(kernel, sig, Empty, 'handler failed')), 'throw');
}

/** Reading `then` may run a getter: call this inside the handler's turn, where a throw is the handler's. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * An asynchronous handler: what its promise (or any thenable) resolves to is
 * the reply, applied in a turn of the handler's realm when it settles; a
 * rejection is a handler failure (reported like a throw, and the sender is
 * answered Empty). Either way nothing is left unhandled: a rejecting handler
 * must not take the process down. Resolving to undefined means "no reply",
 * as a synchronous handler returning nothing: the handler answers some other
 * way (`s.reply`, `s.pass`) or later. `s.reply(promise)` waits the same way.
 */
function awaitReply(kernel: Kernel, sig: PendingSignal, trap: Trap, s: Signal, promised: PromiseLike<unknown>, explicit = false): void {
  const held = () => sig.state === 'trapped' && sig.trap === trap;
  Promise.resolve(promised).then(
    (value) => {
      // Returned by the handler, undefined means "no reply"; given to reply(), it is the reply.
      if ((!explicit && (value === undefined || s.acted)) || !held() || trap.owner.stopped) return;
      kernel.runTurn(trap.owner, 'signal', () => `s${sig.id} async reply`, null, () => s.reply(value), 'report');
      kernel.wake();
    },
    (error: unknown) => {
      if (!held()) return;
      kernel.fail(error, trap.owner, 'signal');
      handlerFailed(kernel, sig, trap, null);
      kernel.wake();
    },
  );
}

/** Run the peeking handlers met while bubbling, each in a turn of its own, in the order met. */
function runPeeks(kernel: Kernel, sig: PendingSignal, peeks: readonly Peek[], cause: number | null): void {
  for (const { trap, seen } of peeks) {
    if (trap.removed || trap.owner.stopped) continue;
    const s = new Signal(kernel, sig, trap, seen, true);
    kernel.runTurn(trap.owner, 'peek', () => `${describeTuple('#', seen.topic, seen.args)} s${sig.id} at ${trap.at.label}`, cause,
      () => trap.handler(s), 'report');
  }
}

function observe(kernel: Kernel, at: RealmCore, sig: PendingSignal, cause: number | null): void {
  for (const sub of at.signalSubs) {
    const bindings = sub.pattern.match(sig.tuple);
    if (bindings === null) continue;
    const inst = newInstance(sub, sig.tuple, bindings);
    (sig.observers ??= []).push(inst);
    scheduleBody(kernel, inst, cause);
  }
}

function answerEffect(kernel: Kernel, sig: PendingSignal, value: unknown, why: string): Effect {
  return {
    apply() {
      if (sig.state === 'settled') return;
      if (kernel.tracing) kernel.note(`answer s${sig.id} = ${describe(value)} to ${sig.sender.label} (${why})`);
      settle(kernel, sig, value);
    },
    describe: () => `answer s${sig.id} = ${describe(value)} (${why})`,
  };
}

/**
 * Answer a signal and forget it: remove it from every table, end its
 * observers and resume its sender (unless the sender stopped: then only a
 * promise is resolved, with Empty, so that no await hangs forever).
 * Must run while a turn commits.
 */
export function settle(kernel: Kernel, sig: PendingSignal, value: unknown): void {
  if (sig.state === 'settled') return;
  sig.state = 'settled';
  kernel.pendingSignals--;
  sig.sender.sent.delete(sig);
  if (sig.trap !== null) sig.trap.owner.trapped.delete(sig);
  sig.trap = null;
  sig.at = null;
  if (sig.observers !== null) {
    for (const inst of sig.observers) endInstance(kernel, inst);
    sig.observers = null;
  }
  const sender = sig.sender;
  if (sender.stopped) {
    sig.resolve?.(Empty);
    return;
  }
  sig.resolve?.(value);
  const onReply = sig.onReply;
  if (onReply !== undefined) {
    kernel.later((cause) => {
      if (sender.stopped) return;
      kernel.runTurn(sender, 'resume', () => `s${sig.id} = ${describe(value)}`, cause, () => onReply(value), 'report');
    });
  }
}

/** Install a trap (buffered in the current turn). */
export function installTrap(
  kernel: Kernel,
  owner: RealmCore,
  at: RealmCore,
  topic: string | undefined,
  view: View | undefined,
  handler: SignalHandler,
): Trap {
  const trap: Trap = { owner, at, topic, view, handler, removed: false };
  kernel.perform(owner, {
    apply() {
      if (trap.removed) return;
      if (owner.stopped || at.stopped) {
        trap.removed = true;
        return;
      }
      at.traps.push(trap);
      owner.ownedTraps.add(trap);
      if (at.boundary !== undefined) noteHandlers(at, topic);
      if (kernel.tracing) kernel.note(`trap ${topic !== undefined ? '#' + topic : 'view'} on ${at.label}`);
    },
    discard() {
      trap.removed = true;
    },
    describe: () => `trap ${topic ?? 'view'} on ${at.label}`,
  });
  return trap;
}

/** Remove a trap at once (used while committing, e.g. when a realm stops). */
export function removeTrapNow(kernel: Kernel, trap: Trap): void {
  if (trap.removed) return;
  trap.removed = true;
  const i = trap.at.traps.indexOf(trap);
  if (i !== -1) trap.at.traps.splice(i, 1);
  trap.owner.ownedTraps.delete(trap);
  if (trap.at.boundary !== undefined) noteHandlers(trap.at, trap.topic);
  if (kernel.tracing) kernel.note(`untrap ${trap.topic !== undefined ? '#' + trap.topic : 'view'} on ${trap.at.label}`);
}

/** Remove a trap when the current turn commits. */
export function removeTrap(kernel: Kernel, actor: RealmCore, trap: Trap): void {
  kernel.perform(actor, { apply: () => removeTrapNow(kernel, trap), describe: () => `untrap on ${trap.at.label}` });
}
