/**
 * Realm: a node of the realm tree, a map of fields, and a tuplespace
 * (signals, proclamations, subscriptions).
 *
 * Every operation that changes shared state is an effect of the current
 * turn: inside a handler it is buffered and applied when the handler
 * returns (or discarded if it throws); outside any handler it is applied at
 * once as a one-effect turn. Use `act` to group several operations into one
 * atomic turn from outside.
 */
import { RealmCore } from './core.js';
import { Empty } from './empty.js';
import { RealmStoppedError } from './errors.js';
import { checkBound } from './kernel.js';
import { coreOf, lookupField, wouldCycle, type FieldSource } from './fields.js';
import { stopNow } from './lifecycle.js';
import { compilePattern, matchOf, type Match, type Pattern } from './pattern.js';
import { proclaim, type Proclamation } from './proclamations.js';
import { admitSignal, installTrap, postSignal, removeTrap, type ReplyCallback, type SignalHandler, type View } from './signals.js';
import type { Handle, Space } from './space.js';
import { subscribe, unsubscribe, type SubscriptionBody } from './subscriptions.js';
import { describeTag, tupleKey, type Describable } from './values.js';
import { Vassal, type RuleList } from './vassal.js';
import type { World } from './world.js';

export interface RealmOptions {
  /** Shown in labels and traces (`r3:name`). */
  readonly name?: string;
  /**
   * Where missing fields are looked up. Defaults to the parent realm; null
   * means no delegation.
   */
  readonly prototype?: FieldSource | null;
  /** How many signals this realm may have pending before `signal` and `post` refuse more; default: the World's. */
  readonly maxPendingSignals?: number;
}

// The engine hands realms on without looking inside (engine/hooks.ts): this
// tells it their type, wherever this module is part of the program.
type RealmClass = Realm;
declare module '../engine/hooks.js' {
  interface Subsystems {
    realm: RealmClass;
  }
}

export class Realm implements Space, Describable {
  /** @internal The state behind this facade. */
  readonly [coreOf]: RealmCore;

  /** @internal Realms are created by `World` and `Realm.child/detached`. */
  constructor(core: RealmCore) {
    this[coreOf] = core;
    core.facade = this;
    core.kernel.realms.add(core);
  }

  get id(): number {
    return this[coreOf].id;
  }

  get name(): string {
    return this[coreOf].name;
  }

  /** `r<id>` or `r<id>:<name>`: unique within the world, stable across runs. */
  get label(): string {
    return this[coreOf].label;
  }

  /** Where uncaught signals go: the creator for a child, the World for a detached realm. */
  get parent(): Realm | null {
    return this[coreOf].parent?.facade ?? null;
  }

  get world(): World {
    let core = this[coreOf];
    while (core.parent !== null) core = core.parent;
    return core.facade as World;
  }

  get children(): readonly Realm[] {
    return [...this[coreOf].children].map((c) => c.facade);
  }

  get stopped(): boolean {
    return this[coreOf].stopped;
  }

  get isDetached(): boolean {
    return this[coreOf].detached;
  }

  [describeTag](): string {
    return this.label;
  }

  toString(): string {
    return `Realm(${this.label})`;
  }

  // ---- the tree ---------------------------------------------------------

  /** A child realm: its uncaught signals bubble to this realm; it stops when this one stops. */
  child(options: RealmOptions = {}): Realm {
    return this.#spawn(this[coreOf], false, options);
  }

  /**
   * A detached realm: its parent is the World, so its uncaught signals skip
   * this realm, and its lifetime is not tied to this realm's.
   */
  detached(options: RealmOptions = {}): Realm {
    let root = this[coreOf];
    while (root.parent !== null) root = root.parent;
    return this.#spawn(root, true, options);
  }

  #spawn(parent: RealmCore, detached: boolean, options: RealmOptions): Realm {
    const core = this.#alive('create a realm');
    const kernel = core.kernel;
    if (parent.stopped) throw new RealmStoppedError(parent.label, 'create a realm');
    const prototype = options.prototype === undefined ? parent.facade : options.prototype;
    const childCore = new RealmCore(kernel, kernel.nextRealmId(), options.name ?? '', parent, detached, prototype);
    if (options.maxPendingSignals !== undefined) childCore.maxPendingSignals = checkBound(options.maxPendingSignals);
    const realm = new Realm(childCore);
    parent.children.add(childCore);
    // A realm created by a turn that rolls back never existed.
    kernel.recordUndo(() => stopNow(kernel, childCore));
    return realm;
  }

  /** Stop this realm and its children (children first). Buffered in the current turn. */
  stop(): void {
    const core = this[coreOf];
    if (core.stopped) return;
    const kernel = core.kernel;
    kernel.perform(kernel.actor ?? core, { apply: () => stopNow(kernel, core), describe: () => `stop ${core.label}` });
  }

  /**
   * Run `fn` as one turn of this realm: what it proclaims is owned by this
   * realm, and its effects apply together when it returns or not at all if
   * it throws (the error is rethrown). Inside another turn, `fn` joins it.
   */
  act<T>(fn: () => T, label = 'act'): T {
    const core = this.#alive('act');
    const kernel = core.kernel;
    const open = kernel.active;
    if (open !== null) {
      const previous = open.actor;
      open.actor = core;
      try {
        return fn();
      } finally {
        open.actor = previous;
      }
    }
    let result!: T;
    kernel.runTurn(core, 'external', () => label, null, () => {
      result = fn();
    }, 'throw');
    return result;
  }

  // ---- the map ----------------------------------------------------------

  /** The field's own value, else the prototype's; Empty when none defines it. */
  get(key: string): unknown {
    return lookupField(this[coreOf], key);
  }

  has(key: string): boolean {
    return this.get(key) !== Empty;
  }

  /** Set an own field; setting Empty removes it. Undone if the current turn rolls back. */
  set(key: string, value: unknown): this {
    const core = this[coreOf];
    const had = core.fields.has(key);
    const old = core.fields.get(key);
    if (value === Empty) core.fields.delete(key);
    else core.fields.set(key, value);
    core.kernel.recordUndo(() => {
      if (had) core.fields.set(key, old);
      else core.fields.delete(key);
    });
    return this;
  }

  delete(key: string): boolean {
    const had = this[coreOf].fields.has(key);
    this.set(key, Empty);
    return had;
  }

  ownKeys(): string[] {
    return [...this[coreOf].fields.keys()];
  }

  get prototype(): FieldSource | null {
    return this[coreOf].prototype;
  }

  set prototype(proto: FieldSource | null) {
    const core = this[coreOf];
    if (wouldCycle(core, proto)) throw new Error(`prototype of ${core.label} would form a cycle`);
    const old = core.prototype;
    core.prototype = proto;
    core.kernel.recordUndo(() => {
      core.prototype = old;
    });
  }

  // ---- signals ----------------------------------------------------------

  /**
   * Raise `#topic(args)` from this realm and wait for the reply. Resolves
   * with Empty when nobody answers or when the sender stops first. Raised
   * inside a turn that rolls back, the signal is never sent and the promise
   * never settles (nothing refers to it, so it is collected).
   */
  signal(topic: string, ...args: unknown[]): Promise<unknown> {
    const core = this.#alive(`signal #${topic}`);
    const kernel = core.kernel;
    const sender = kernel.actor ?? core;
    // Past the bound the refusal is thrown here, not hidden in the promise.
    admitSignal(kernel, sender, checkTopic(topic));
    return new Promise((resolve) => {
      postSignal(kernel, sender, core, topic, args, undefined, resolve);
    });
  }

  /** Returns the signal's id. `onReply` runs in a turn of the sender. */
  post(topic: string, args: readonly unknown[] = [], onReply?: ReplyCallback): number {
    const core = this.#alive(`post #${topic}`);
    const kernel = core.kernel;
    const sender = kernel.actor ?? core;
    admitSignal(kernel, sender, checkTopic(topic));
    return postSignal(kernel, sender, core, topic, [...args], onReply, undefined);
  }

  on(topic: string, handler: SignalHandler): Handle {
    return this.#trap(checkTopic(topic), undefined, handler);
  }

  trap(view: View, handler: SignalHandler): Handle {
    return this.#trap(undefined, view, handler);
  }

  #trap(topic: string | undefined, view: View | undefined, handler: SignalHandler): Handle {
    const core = this.#alive('install a handler');
    const kernel = core.kernel;
    const owner = kernel.actor ?? core;
    const trap = installTrap(kernel, owner, core, topic, view, handler);
    return { cancel: () => removeTrap(kernel, kernel.actor ?? owner, trap) };
  }

  // ---- proclamations and subscriptions ------------------------------------

  proclaim(topic: string, ...args: unknown[]): Proclamation {
    const core = this.#alive(`proclaim $${topic}`);
    const kernel = core.kernel;
    return proclaim(kernel, kernel.actor ?? core, core, checkTopic(topic), args);
  }

  /** How many times `topic(args)` is currently asserted here. */
  count(topic: string, ...args: unknown[]): number {
    return this[coreOf].store.get(tupleKey(topic, args))?.count ?? 0;
  }

  /** The proclamations currently pinned here that match `pattern` (committed state). */
  proclamations(pattern: Pattern = ['$']): Array<Match & { readonly count: number }> {
    const p = compilePattern(pattern);
    const out: Array<Match & { readonly count: number }> = [];
    for (const entry of this[coreOf].store.values()) {
      const bindings = p.match(entry.tuple);
      if (bindings !== null) out.push({ ...matchOf(entry.tuple, bindings), count: entry.count });
    }
    return out;
  }

  subscribe(pattern: Pattern, body: SubscriptionBody): Handle {
    const core = this.#alive('subscribe');
    const kernel = core.kernel;
    const owner = kernel.actor ?? core;
    const sub = subscribe(kernel, owner, core, compilePattern(pattern), body);
    return { cancel: () => unsubscribe(kernel, kernel.actor ?? owner, sub) };
  }

  /** `realm <> []`: every proclamation here and every signal passing through. */
  monitor(body: SubscriptionBody): Handle {
    return this.subscribe([], body);
  }

  vassal(rules: RuleList, name?: string): Vassal {
    return new Vassal(this, rules, name);
  }

  #alive(operation: string): RealmCore {
    const core = this[coreOf];
    if (core.stopped) throw new RealmStoppedError(core.label, operation);
    return core;
  }
}

function checkTopic(topic: string): string {
  if (typeof topic !== 'string' || topic.length === 0) throw new TypeError(`a topic must be a non-empty string, got ${String(topic)}`);
  return topic;
}
