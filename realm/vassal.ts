/**
 * Vassals: attenuating proxies (facets). A vassal holds a target (a realm,
 * another vassal, or any object with methods) and an ordered list of rules.
 * Every tuple crossing it, in either direction, is run through the rules:
 *
 *   take(p)          the first matching tuple passes and rule evaluation stops
 *   peek(p, f?)      a copy (optionally rewritten) passes; evaluation goes on
 *   block(p)         the tuple is dropped and evaluation stops
 *   transform(p, f)  the rewritten tuple passes (f may return Empty to drop)
 *   (no rule)        dropped: a vassal grants only what its rules name
 *
 * A rule applies both ways unless it is given one direction: `ingress(...)`
 * for what comes in to the holder (what it may observe), `egress(...)` for
 * what it sends out (what it may do). `[ingress(take('$status'))]` may
 * observe `$status` and may not assert it.
 *
 * A peeked copy carries no authority: a peeked signal cannot be answered and
 * a peeked call is reported, not performed. So `take` is the only way to let
 * something through with its full force.
 *
 * Authority only narrows: a vassal can only reach its target through the
 * target's own interface, so a vassal of a vassal is limited by both rule
 * lists, and a rewrite can never change a tuple's kind.
 *
 * Proclamations: taking one hides it from later rules, but it stays in the
 * realm beneath. To remove it there, assert Empty through the vassal (which
 * itself must be allowed by the rules).
 */
import { Empty } from './empty.js';
import { CapabilityError } from './errors.js';
import type { Kernel } from './kernel.js';
import { coreOf } from './fields.js';
import type { RealmCore } from './core.js';
import { compilePattern, matchOf, parseHead, type CompiledPattern, type Match, type Pattern, type Tuple } from './pattern.js';
import type { Proclamation } from './proclamations.js';
import type { ReplyCallback, SignalHandler, View, ViewOutput } from './signals.js';
import type { Handle, Space } from './space.js';
import type { SubscriptionBody } from './subscriptions.js';
import { describeTuple, structurallyEqual } from './values.js';
import { Membrane, membraneHolder } from './membrane.js';

export type RuleAction = 'take' | 'peek' | 'block' | 'transform';
export type Rewrite = (m: Match) => Tuple | typeof Empty;

/**
 * Which way a tuple crosses the vassal. Ingress: towards the holder (what it
 * observes: proclamations its subscriptions see, signals its handlers trap).
 * Egress: from the holder (what it does: signals it raises, proclamations it
 * asserts or retracts, calls it makes).
 */
export type Direction = 'ingress' | 'egress';

export interface Rule {
  readonly action: RuleAction;
  readonly pattern: CompiledPattern;
  readonly rewrite: Rewrite | undefined;
  /** The one direction the rule applies to; undefined: both. */
  readonly direction: Direction | undefined;
}

export const take = (pattern: Pattern): Rule => ({ action: 'take', pattern: compilePattern(pattern), rewrite: undefined, direction: undefined });
export const peek = (pattern: Pattern, rewrite?: Rewrite): Rule => ({ action: 'peek', pattern: compilePattern(pattern), rewrite, direction: undefined });
export const block = (pattern: Pattern): Rule => ({ action: 'block', pattern: compilePattern(pattern), rewrite: undefined, direction: undefined });
export const transform = (pattern: Pattern, rewrite: Rewrite): Rule => ({ action: 'transform', pattern: compilePattern(pattern), rewrite, direction: undefined });

/**
 * The rules, applying only to what comes in to the holder:
 * `ingress(take('$status'))` may observe `$status` and may not assert it.
 */
export const ingress = (...rules: RuleList): Rule[] => directed('ingress', rules);

/** The rules, applying only to what the holder sends out: `egress(take('#log'))` may log and sees no one's logs. */
export const egress = (...rules: RuleList): Rule[] => directed('egress', rules);

/** Rules as a vassal takes them: groups (from `ingress`, `egress`, a shared list) may be nested. */
export type RuleList = readonly (Rule | readonly Rule[])[];

/** One flat list of rules, in order. */
export function flattenRules(rules: RuleList): Rule[] {
  return rules.flat();
}

function directed(direction: Direction, rules: RuleList): Rule[] {
  return flattenRules(rules).map((rule) => {
    if (rule.direction !== undefined && rule.direction !== direction) {
      throw new TypeError(`vassal rule ${rule.pattern.source} is ${rule.direction} only; it cannot also be ${direction} only`);
    }
    return { ...rule, direction };
  });
}

/** Build a tuple for a rewrite: `tuple('#whisper', ...m.args)`. */
export function tuple(head: string, ...args: unknown[]): Tuple {
  const { kind, topic } = parseHead(head);
  if (topic === undefined) throw new SyntaxError(`tuple head ${JSON.stringify(head)} needs a topic`);
  return { kind, topic, args };
}

/**
 * What the rules let through for one tuple crossing in `direction`, in
 * order. Rules for the other direction are skipped; without a direction
 * every rule applies.
 */
export function applyRules(rules: readonly Rule[], t: Tuple, direction?: Direction): ViewOutput[] {
  const out: ViewOutput[] = [];
  for (const rule of rules) {
    if (direction !== undefined && rule.direction !== undefined && rule.direction !== direction) continue;
    const bindings = rule.pattern.match(t);
    if (bindings === null) continue;
    switch (rule.action) {
      case 'take':
        out.push({ tuple: t, mode: 'take' });
        return out;
      case 'block':
        return out;
      case 'peek': {
        const copy = rule.rewrite ? rewriteWith(rule, t, bindings) : t;
        if (copy !== null) out.push({ tuple: copy, mode: 'peek' });
        continue;
      }
      case 'transform': {
        const result = rewriteWith(rule, t, bindings);
        if (result !== null) out.push({ tuple: result, mode: 'take' });
        return out;
      }
    }
  }
  return out;
}

function rewriteWith(rule: Rule, t: Tuple, bindings: Readonly<Record<string, unknown>>): Tuple | null {
  const result = rule.rewrite!(matchOf(t, bindings));
  if (result === Empty) return null;
  if (result.kind !== t.kind) {
    throw new TypeError(`vassal rule ${rule.pattern.source} may not turn a '${t.kind}' tuple into a '${result.kind}' one`);
  }
  return result;
}

/** A view that takes signals on one topic (what `on(topic)` means). */
export const topicView =
  (topic: string): View =>
  (t) =>
    t.kind === '#' && t.topic === topic ? [{ tuple: t, mode: 'take' }] : [];

// The realm beneath a vassal, for the few things a vassal must do itself
// (resume a sender whose signal was dropped). Kept out of the class so that
// holding a vassal never gives access to it.
const baseOf = new WeakMap<Vassal, RealmCore>();

export class Vassal implements Space {
  readonly name: string;
  /** The realm beneath every layer. */
  readonly #base: Space;
  /**
   * The rule lists of this vassal and of the vassals it wraps, its own first,
   * as a linked list: a vassal of a vassal reaches them all and applies them
   * in a loop, so a chain of any depth costs no stack, and making one costs
   * the same at any depth.
   */
  readonly #layers: RuleLayer;

  constructor(target: Space, rules: RuleList, name?: string) {
    const base = target instanceof Vassal ? baseOf.get(target) : (target as { [coreOf]?: RealmCore })[coreOf];
    if (base === undefined) throw new TypeError('a Vassal wraps a Realm or another Vassal; use attenuate() for plain objects');
    baseOf.set(this, base);
    const own = flattenRules(rules);
    this.#base = base.facade;
    this.#layers = { rules: own, next: target instanceof Vassal ? target.#layers : undefined };
    this.name = name ?? `vassal of ${target instanceof Vassal ? target.name : base.label}`;
  }

  /** What these rules (this vassal's own) let through for `t` (for tests and debugging). */
  filter(t: Tuple, direction?: Direction): ViewOutput[] {
    return applyRules(this.#layers.rules, t, direction);
  }

  /** What reaches the realm beneath when the holder sends `t`: through every layer, outermost first. */
  #egress(t: Tuple): readonly ViewOutput[] {
    let current: readonly ViewOutput[] = [{ tuple: t, mode: 'take' }];
    for (let l: RuleLayer | undefined = this.#layers; l !== undefined && current.length > 0; l = l.next) current = through(l.rules, current, 'egress');
    return current;
  }

  /** What the holder sees of `t` in the realm beneath: through every layer, innermost first. */
  #ingress(t: Tuple): readonly ViewOutput[] {
    let current: readonly ViewOutput[] = [{ tuple: t, mode: 'take' }];
    if (this.#layers.next === undefined) return through(this.#layers.rules, current, 'ingress');
    const inward: (readonly Rule[])[] = [];
    for (let l: RuleLayer | undefined = this.#layers; l !== undefined; l = l.next) inward.push(l.rules);
    for (let i = inward.length - 1; i >= 0 && current.length > 0; i--) current = through(inward[i], current, 'ingress');
    return current;
  }

  signal(topic: string, ...args: unknown[]): Promise<unknown> {
    const { primary, copies } = split(this.#egress({ kind: '#', topic, args }));
    for (const c of copies) this.#base.post(c.topic, c.args);
    return primary === null ? Promise.resolve(Empty) : this.#base.signal(primary.topic, ...primary.args);
  }

  post(topic: string, args: readonly unknown[] = [], onReply?: ReplyCallback): void {
    const { primary, copies } = split(this.#egress({ kind: '#', topic, args }));
    for (const c of copies) this.#base.post(c.topic, c.args);
    if (primary !== null) {
      this.#base.post(primary.topic, primary.args, onReply);
      return;
    }
    // Dropped: the target never sees it; the sender hears Empty, as if unhandled.
    const base = baseOf.get(this)!;
    const kernel = base.kernel;
    const sender = kernel.actor ?? base;
    const thisName = this.name;
    kernel.perform(sender, {
      apply() {
        if (kernel.tracing) kernel.note(`post ${describeTuple('#', topic, args)} dropped by ${thisName}`);
        if (onReply !== undefined) resumeWithEmpty(kernel, sender, onReply);
      },
      describe: () => `post ${describeTuple('#', topic, args)} (dropped)`,
    });
  }

  proclaim(topic: string, ...args: unknown[]): Proclamation {
    const outputs = distinct(this.#egress({ kind: '$', topic, args }));
    const handles = outputs.map((o) => this.#base.proclaim(o.tuple.topic, ...o.tuple.args));
    return {
      topic,
      args,
      get live() {
        return handles.some((h) => h.live);
      },
      retract() {
        for (const h of handles) h.retract();
      },
    };
  }

  subscribe(pattern: Pattern, body: SubscriptionBody): Handle {
    const wanted = compilePattern(pattern);
    // Watch everything beneath, and show the body only what the rules let through.
    return this.#base.subscribe([], (m) => {
      const cleanups: (() => void)[] = [];
      for (const o of distinct(this.#ingress(m))) {
        const bindings = wanted.match(o.tuple);
        if (bindings === null) continue;
        const cleanup = body(matchOf(o.tuple, bindings));
        if (typeof cleanup === 'function') cleanups.push(cleanup);
      }
      if (cleanups.length === 0) return undefined;
      return () => {
        for (const c of cleanups) c();
      };
    });
  }

  on(topic: string, handler: SignalHandler): Handle {
    return this.trap(topicView(topic), handler);
  }

  trap(view: View, handler: SignalHandler): Handle {
    // Raw tuple → every layer's rules → the caller's view. A copy stays a copy.
    const composed: View = (t) => {
      const out: ViewOutput[] = [];
      for (const o of this.#ingress(t)) {
        for (const v of view(o.tuple)) out.push(o.mode === 'peek' && v.mode === 'take' ? { tuple: v.tuple, mode: 'peek' } : v);
      }
      return out;
    };
    return this.#base.trap(composed, handler);
  }

  vassal(rules: RuleList, name?: string): Vassal {
    return new Vassal(this, rules, name);
  }

  toString(): string {
    return `Vassal(${this.name})`;
  }
}

interface RuleLayer {
  readonly rules: readonly Rule[];
  readonly next: RuleLayer | undefined;
}

/** One layer of rules applied to each tuple that came through the layers before it; a copy stays a copy. */
function through(rules: readonly Rule[], inputs: readonly ViewOutput[], direction: Direction): ViewOutput[] {
  const out: ViewOutput[] = [];
  for (const o of inputs) {
    for (const x of distinct(applyRules(rules, o.tuple, direction))) out.push(o.mode === 'peek' && x.mode === 'take' ? { tuple: x.tuple, mode: 'peek' } : x);
  }
  return out;
}

function split(outputs: readonly ViewOutput[], once = true): { primary: Tuple | null; copies: Tuple[] } {
  let primary: Tuple | null = null;
  const copies: Tuple[] = [];
  for (const o of once ? distinct(outputs) : outputs) {
    if (o.mode === 'take' && primary === null) primary = o.tuple;
    else copies.push(o.tuple);
  }
  return { primary, copies };
}

/**
 * Each distinct tuple once. A peek and a take matching the same tuple (a
 * rule pair that logs what it lets through) must not deliver it twice: one
 * proclaim would assert twice, one signal would be handled twice. The taken
 * one wins, since it carries the authority.
 */
export function distinct(outputs: readonly ViewOutput[]): readonly ViewOutput[] {
  if (outputs.length < 2) return outputs;
  const out: ViewOutput[] = [];
  for (const o of outputs) {
    const i = out.findIndex((x) => sameTuple(x.tuple, o.tuple));
    if (i === -1) out.push(o);
    else if (o.mode === 'take' && out[i].mode === 'peek') out[i] = o;
  }
  return out;
}

function sameTuple(a: Tuple, b: Tuple): boolean {
  return a === b || (a.kind === b.kind && a.topic === b.topic && structurallyEqual(a.args, b.args));
}

function resumeWithEmpty(kernel: Kernel, sender: RealmCore, onReply: ReplyCallback): void {
  kernel.later((cause) => {
    if (sender.stopped) return;
    kernel.runTurn(sender, 'resume', () => 'dropped signal = ___', cause, () => onReply(Empty), 'report');
  });
}

// ---- attenuating plain objects ------------------------------------------------

export interface AttenuateOptions {
  /** Names the holder in refusals: "io: capability 'connect' is not granted". */
  readonly name?: string;
  /** Receives the calls that `peek` rules copy. */
  readonly onPeek?: (call: Tuple) => void;
}

/**
 * A view of `target` that lets through only the calls the rules grant.
 * A method call `x.read(a)` is the tuple `.read(a)`; a property read is the
 * call with no arguments. A refused call throws a CapabilityError naming the
 * capability; writes through the view are always refused. The view is a
 * membrane (see membrane.ts): what a granted call returns comes back under
 * the same rules, so authority cannot leak out through a return value, a
 * property descriptor, a prototype or a callback's arguments. Attenuating an
 * attenuated object applies both rule lists, so authority only narrows.
 */
export function attenuate<T extends object>(target: T, rules: RuleList, options: AttenuateOptions = {}): T {
  // A function has no method names for the rules to decide on: calling it would go through undecided.
  if (typeof target === 'function' && membraneHolder(target) === undefined) {
    throw new TypeError('attenuate() takes an object whose methods are the capabilities; wrap a function as { call: f }');
  }
  const holder = options.name ?? membraneHolder(target) ?? (target.constructor?.name || 'object');
  // A view of a view holds the real object and every rule list, outermost
  // first (a linked list: making a view costs the same at any depth): one
  // membrane, and a chain of any depth costs no stack.
  const inner = attenuated.get(target);
  const layers: Layer = { rules: flattenRules(rules), holder, onPeek: options.onPeek, next: inner?.layers };
  const decide = (name: string, args: readonly unknown[]): Tuple => {
    let call: Tuple = { kind: '.', topic: name, args };
    for (let layer: Layer | undefined = layers; layer !== undefined; layer = layer.next) {
      // Peeked calls are reported, not performed: every peek is reported, even of a call that is also taken.
      const { primary, copies } = split(applyRules(layer.rules, call, 'egress'), false);
      for (const c of copies) layer.onPeek?.(c);
      if (primary === null) throw new CapabilityError(layer.holder, call.topic);
      call = primary;
    }
    return call;
  };
  const real = inner?.target ?? target;
  const view = new Membrane({ holder, decide }).out(real) as T;
  attenuated.set(view, { target: real, layers });
  return view;
}

interface Layer {
  readonly rules: readonly Rule[];
  readonly holder: string;
  readonly onPeek: ((call: Tuple) => void) | undefined;
  /** The layer beneath (the view this one was made of). */
  readonly next: Layer | undefined;
}

/** Views made by attenuate(): the object behind them and their rule lists. */
const attenuated = new WeakMap<object, { readonly target: object; readonly layers: Layer }>();
