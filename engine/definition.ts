// Process definitions: ports, parameters, state and rules, declared in the
// port grammar ('>in' => 'out>') and checked when they are declared.
//
//   define('take', { ports: ['in', 'out'], inputs: ['in'], params: { limit: value<number>() }, state: { remaining: (p) => p.limit } })
//     .admittance('>in', 'Math.min(remaining, admit("out>"))')
//     .flow('>in', each('remaining--; emit(x)', 'out>', { range: 'remaining -= end - start' }))
//
// A rule is (1) a delegation to another spec, (2) an expression over the
// state (admittance), an element snippet or a chunk handler (flow), or (3) a
// JIT handler that emits code.
//
// Parameters are declared by descriptor (`value<number>()`, `mapper()`, ...)
// and state by its initialisers, so TypeScript knows both: a handler reads
// `b.state.items` and `b.params.capacity` with their types, without a cast.
// The descriptors also say which parameters are user code (callbacks), which
// the chaining API guards under a chain's error policy.
import { checkIdentifier, type Code, type Name } from '../codegen/code.js';
import { reservedMeaning, Snippet, SnippetError } from '../codegen/snippet.js';
import type { LocalAddress } from './address.js';
import { DefinitionError } from './errors.js';
import type { Elements } from './flowable.js';
import type { Process } from './process.js';
import { isSpecLike, parseSpec, Spec, SpecError } from './spec.js';

export { DefinitionError };

// Port names never become identifiers in generated code (they appear only as
// quoted literals), so reserved words such as `in` are fine; the shape is not.
const PORT_NAME = /^[A-Za-z_$][\w$]*$/;

function checkPortName(processClass: string, port: unknown): void {
  if (typeof port !== 'string' || !PORT_NAME.test(port)) {
    throw new DefinitionError(`${processClass}: port name ${JSON.stringify(port)} is not a valid name (letters, digits, _ and $, not starting with a digit)`);
  }
}

/**
 * Parameters and state fields appear in snippets by name, so a field may not
 * take a name the snippet language already gives a meaning.
 */
function checkField(processClass: string, kind: 'parameter' | 'state', field: unknown): string {
  checkIdentifier(field, `${processClass}: ${kind} name`);
  const meaning = reservedMeaning(field as string);
  if (meaning !== undefined) {
    throw new DefinitionError(`${processClass}: ${kind} name ${JSON.stringify(field)} is reserved in snippets (it names ${meaning}); choose another name`);
  }
  return field as string;
}

/** Parameters and state as the engine sees them: any definition's fit. */
export type Params = Record<string, unknown>;
export type State = Record<string, unknown>;

/**
 * A process of a definition with parameters P and state S: what its handlers
 * and hooks receive. (Only a type: every process is a `Process`.)
 */
export type Instance<P = Params, S = State> = Process & { readonly params: Readonly<P>; readonly state: S };

/** The process type of a definition, for helpers declared apart from it. */
export type InstanceOf<D> = D extends Definition<infer P, infer S> ? Instance<P, S> : never;

/**
 * How a user function given as a parameter is called, and what a call that
 * failed stands for when the error policy skips it: a mapper `f(x)` (the
 * element is dropped), a predicate `p(x)` (false) or a reducer `f(acc, x)` (the
 * accumulator as it was).
 */
export type CallbackRole = 'mapper' | 'predicate' | 'reducer';

/** A parameter's descriptor: its type (for TypeScript only) and, for user code, its role. */
export interface Param<T> {
  readonly callback?: CallbackRole;
  /** Never set: it carries the parameter's type. */
  readonly type?: T;
}

/** A plain value fixed when the process is created (a limit, a table, a helper function). */
export function value<T>(): Param<T> {
  return {};
}

/** A user function called once per element, `f(x)`; its result goes on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mapper<F extends (x: any) => unknown = (x: any) => unknown>(): Param<F> {
  return { callback: 'mapper' };
}

/** A user function `p(x)` that keeps an element when it returns true. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function predicate<F extends (x: any) => unknown = (x: any) => boolean>(): Param<F> {
  return { callback: 'predicate' };
}

/** A user function `f(acc, x)` that folds an element into the accumulator. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function reducer<F extends (acc: any, x: any) => unknown = (acc: any, x: any) => unknown>(): Param<F> {
  return { callback: 'reducer' };
}

/** A chunk handler moves a whole chunk and returns how many elements it committed. */
export type ChunkHandler<P = Params, S = State> = (process: Instance<P, S>, xs: Elements, offset: number, n: number) => number;
/** An admittance handler answers for a whole request of magnitude n. */
export type AdmitHandler<P = Params, S = State> = (process: Instance<P, S>, n: number) => number;
/** Called with the port concerned (onEnd, onConnect). */
export type PortHook<P = Params, S = State> = (process: Instance<P, S>, port: string) => void;

export interface EachOptions {
  /** True when every element in produces exactly one element out (map, scan). */
  oneToOne?: boolean;
  /**
   * Code run once for a whole chunk instead of the per-element snippet, when
   * the chunk arrives straight from the entry (nothing element-wise before it).
   * It may move `start` and `end` and must keep the state right: this is how
   * drop and take become loop bounds.
   */
  range?: string;
}

/**
 * What a JIT handler may use to emit code for a chunk xs[start, end): names for
 * constants of the definition (slots shared by every chain of a shape: helper
 * functions, tables; per-process values come in as parameters and state),
 * state fields (locals of the generated function), parameters,
 * and the inlined code that moves the same chunk on through another spec (a
 * write for write rules, a read for read rules).
 */
export interface JitContext {
  readonly xs: Name;
  readonly start: Name;
  readonly end: Name;
  /**
   * Present only when xs is the array the write entry was called with (no rule
   * before this one built the chunk): the entry's argument that is `true` when
   * the writer promised the chunk stays unchanged until read (see EntryFunction
   * in jit/entry.ts). Only then may a rule keep a reference to xs after the
   * flow instead of copying; absent or not true, it must copy. For the same
   * reason a write rule never writes into xs.
   */
  readonly stable?: Name;
  constant(v: unknown, label: string): Name;
  state(field: string): Name;
  param(name: string): Name;
  move(spec: string): Code;
  /** A fresh local name. */
  fresh(prefix: string): Name;
  /** The process itself, for runtime helpers that name it in errors. */
  self(): Name;
  /**
   * The member specs of a range spec such as 'out[]>', in member order: the
   * connected members whose readers have not ended (the entry now watches the range).
   */
  members(spec: string): string[];
  /** The inlined code that writes the one element `x` on through `spec`. */
  element(spec: string, x: Name): Code;
}
/** Admittance JIT handlers see `n` and the inlined admittance of other specs. */
export interface JitAdmitContext {
  readonly n: Code;
  constant(v: unknown, label: string): Name;
  state(field: string): Code;
  param(name: string): Name;
  admit(spec: string): Code;
}
export interface JitRuleSource { kind: 'jit'; emit: (ctx: JitContext) => Code }
export interface JitAdmitRuleSource { kind: 'jit-admit'; emit: (ctx: JitAdmitContext) => Code }

/** A flow rule that emits code for a whole chunk. */
export function jit(emit: (ctx: JitContext) => Code): JitRuleSource {
  return { kind: 'jit', emit };
}

/** An admittance rule that emits an expression. */
export function jitAdmit(emit: (ctx: JitAdmitContext) => Code): JitAdmitRuleSource {
  return { kind: 'jit-admit', emit };
}

export interface EachRuleSource { kind: 'each'; snippet: string; target?: string; options: EachOptions }
export interface ChunkRuleSource<P = Params, S = State> { kind: 'chunk'; handler: ChunkHandler<P, S> }
export interface AdmitRuleSource<P = Params, S = State> { kind: 'admit-handler'; handler: AdmitHandler<P, S> }

export function each(snippet: string, target?: string, options: EachOptions = {}): EachRuleSource {
  return { kind: 'each', snippet, target, options };
}

export function chunk<P = Params, S = State>(handler: ChunkHandler<P, S>): ChunkRuleSource<P, S> {
  return { kind: 'chunk', handler };
}

export function admitWith<P = Params, S = State>(handler: AdmitHandler<P, S>): AdmitRuleSource<P, S> {
  return { kind: 'admit-handler', handler };
}

export type AdmittanceRule =
  | { kind: 'delegate'; spec: Spec; target: Spec }
  | { kind: 'expression'; spec: Spec; snippet: Snippet }
  | { kind: 'handler'; spec: Spec; handler: AdmitHandler }
  | { kind: 'jit'; spec: Spec; emit: (ctx: JitAdmitContext) => Code };

export type FlowRule =
  | { kind: 'delegate'; spec: Spec; target: Spec }
  | { kind: 'each'; spec: Spec; snippet: Snippet; target?: Spec; oneToOne: boolean; range?: Snippet }
  | { kind: 'chunk'; spec: Spec; handler: ChunkHandler }
  | { kind: 'jit'; spec: Spec; emit: (ctx: JitContext) => Code };

export interface DefinitionOptions<P = Params, S = State> {
  /**
   * Port names, in port-number order (port 0 is the first). The last may be a
   * range, written 'out[]': its members 'out[0]', 'out[1]', ... take every port
   * number after the fixed ports, up to 65,535.
   */
  ports: readonly string[];
  /** Input-like ports (or 'in[]' for a whole range): a process pins whatever is connected to them. */
  inputs?: readonly string[];
  /**
   * Values fixed when the process is created, each with its descriptor
   * (`{ limit: value<number>(), f: mapper() }`); or just their names, untyped.
   */
  params?: { readonly [K in keyof P]: Param<P[K]> } | readonly string[];
  /** Mutable state and how to initialise it from the params. */
  state?: { readonly [K in keyof S]: (params: Readonly<P>) => S[K] };
  /**
   * State fields that hold small whole numbers (positions, sizes, counts left):
   * fused code loads them as int32 while they are, so they index arrays cheaply.
   */
  counters?: readonly (keyof S & string)[];
  /** Called when the peer of `port` ends its stream into this process. */
  onEnd?: PortHook<P, S>;
  /**
   * Called when `port` is connected, once both ends know each other: a process
   * that is finished before any data arrives (take(0)) ends its input at once,
   * so the source stops.
   */
  onConnect?: PortHook<P, S>;
  /**
   * Called after every flow through the process, outside the hot loop, and
   * once when a run that includes it starts (a take(0) ends there).
   */
  settle?: (process: Instance<P, S>) => void;
  /**
   * True for a process that takes a write into its own room and hands it on
   * only as far as its output admits when asked (a buffer): branches of a copy
   * that meet again behind one cannot over-commit (see jit/overcommit.ts).
   */
  slack?: boolean;
}

// P and S type the handlers' view of a process; the engine stores every rule
// and hook for a plain Process (it made the process from this definition).
export class Definition<P = Params, S = State> {
  /** The fixed ports, in port-number order. */
  readonly ports: readonly string[];
  readonly portSet: ReadonlySet<string>;
  /** The port range, if any: its members are numbered from `ports.length`. */
  readonly range?: string;
  readonly rangeSet: ReadonlySet<string>;
  readonly inputs: ReadonlySet<string>;
  readonly params: readonly string[];
  /** The parameters that are user code, with their roles: the chaining API guards exactly these. */
  readonly callbacks: ReadonlyMap<string, CallbackRole>;
  readonly stateInit: Record<string, (params: Record<string, unknown>) => unknown>;
  readonly stateNames: readonly string[];
  /** A 0 (not connected) per fixed port: a process's ports start as a copy. */
  readonly portTemplate: readonly LocalAddress[];
  /** Every state field, undefined: a process's state starts as a copy. */
  readonly stateTemplate: Readonly<Record<string, undefined>>;
  readonly counters: ReadonlySet<string>;
  readonly admittanceRules = new Map<string, AdmittanceRule>();
  readonly flowRules = new Map<string, FlowRule>();
  readonly onEnd?: (process: Process, port: string) => void;
  readonly onConnect?: (process: Process, port: string) => void;
  readonly settle?: (process: Process) => void;
  readonly slack: boolean;
  /** Bumped by every rule declared, so code compiled for fewer rules is never reused. */
  version = 0;
  private readonly known: ReadonlySet<string>;
  private readonly inputFlags: readonly boolean[];
  private readonly rangeIsInput: boolean;

  constructor(readonly name: string, given: DefinitionOptions<P, S>) {
    const options = given as DefinitionOptions;
    checkIdentifier(name, 'process class name');
    if (options.ports.length > 65536) throw new DefinitionError(`${name}: at most 65,536 ports`);
    const fixed: string[] = [];
    let rangeName: string | undefined;
    options.ports.forEach((p, i) => {
      const range = typeof p === 'string' && p.endsWith('[]') ? p.slice(0, -2) : undefined;
      if (range !== undefined) {
        checkPortName(name, range);
        if (i !== options.ports.length - 1) throw new DefinitionError(`${name}: the port range ${JSON.stringify(p)} must come last`);
        rangeName = range;
      } else {
        checkPortName(name, p);
        fixed.push(p);
      }
    });
    this.range = rangeName;
    this.ports = fixed;
    this.portSet = new Set(fixed);
    this.rangeSet = new Set(this.range === undefined ? [] : [this.range]);
    if (this.portSet.size !== fixed.length || (this.range !== undefined && this.portSet.has(this.range))) {
      throw new DefinitionError(`${name}: duplicate port name`);
    }
    for (const p of options.inputs ?? []) {
      const known = p.endsWith('[]') ? this.rangeSet.has(p.slice(0, -2)) : this.portSet.has(p);
      if (!known) throw new DefinitionError(`${name}: input ${JSON.stringify(p)} is not a declared port`);
    }
    this.inputs = new Set(options.inputs ?? []);
    // Asked on every connect and disconnect: answered from flags, not by building names.
    this.inputFlags = fixed.map((port) => this.inputs.has(port));
    this.rangeIsInput = this.range !== undefined && this.inputs.has(`${this.range}[]`);
    const params = options.params ?? [];
    const descriptors: [string, Param<unknown>][] = isNames(params) ? params.map((p) => [p, {}]) : Object.entries(params);
    this.params = descriptors.map(([p]) => checkField(name, 'parameter', p));
    this.callbacks = new Map(descriptors.flatMap(([p, d]) => (d.callback === undefined ? [] : [[p, d.callback]])));
    this.stateInit = { ...(options.state ?? {}) };
    this.stateNames = Object.keys(this.stateInit).map((s) => checkField(name, 'state', s));
    this.portTemplate = fixed.map(() => 0);
    this.stateTemplate = Object.fromEntries(this.stateNames.map((s) => [s, undefined]));
    for (const s of this.stateNames) {
      if (this.params.includes(s)) throw new DefinitionError(`${name}: ${JSON.stringify(s)} is both a parameter and state`);
    }
    this.counters = new Set(options.counters ?? []);
    for (const c of this.counters) {
      if (!this.stateNames.includes(c)) throw new DefinitionError(`${name}: counter ${JSON.stringify(c)} is not a state field`);
    }
    this.known = new Set([...this.params, ...this.stateNames]);
    this.onEnd = options.onEnd;
    this.onConnect = options.onConnect;
    this.slack = options.slack ?? false;
    this.settle = options.settle;
  }

  /** True when `p` is a process of this class: then its params and state have this class's types. */
  is(p: Process): p is Instance<P, S> {
    const def: unknown = p.def;
    return def === this;
  }

  /** How many port numbers the process uses: the fixed ports, or all 65,536 with a range. */
  get portCount(): number {
    return this.range === undefined ? this.ports.length : 65536;
  }

  /** The port number of 'in', or of a range member 'out[3]'. */
  portNumber(port: string): number {
    const i = this.ports.indexOf(port);
    if (i >= 0) return i;
    const member = /^([A-Za-z_$][\w$]*)\[(\d+)\]$/.exec(port);
    if (member && member[1] === this.range) {
      const n = this.ports.length + Number(member[2]);
      if (n <= 65535) return n;
    }
    throw new DefinitionError(`${this.name}: unknown port ${JSON.stringify(port)}`);
  }

  portName(n: number): string {
    return n < this.ports.length ? this.ports[n] : `${this.range}[${n - this.ports.length}]`;
  }

  /** The range a port number belongs to, if any. */
  rangeOf(n: number): string | undefined {
    return n >= this.ports.length ? this.range : undefined;
  }

  isInput(n: number): boolean {
    return n < this.inputFlags.length ? this.inputFlags[n] : this.rangeIsInput;
  }

  /** Parses a spec of this class (memoised: entries look specs up on every call). */
  spec(text: string): Spec {
    let spec = this.specs.get(text);
    if (!spec) {
      spec = parseSpec(this.name, text, this.portSet, this.rangeSet);
      this.specs.set(text, spec);
    }
    return spec;
  }

  private readonly specs = new Map<string, Spec>();

  /** Declares how much a transfer on `spec` admits. */
  admittance(specText: string, rule: string | AdmitRuleSource<P, S> | JitAdmitRuleSource): this {
    const spec = this.spec(specText);
    this.checkNew(this.admittanceRules, spec);
    if (typeof rule !== 'string' && rule.kind === 'jit-admit') {
      this.admittanceRules.set(spec.text, { kind: 'jit', spec, emit: rule.emit });
    } else if (typeof rule !== 'string') {
      this.admittanceRules.set(spec.text, { kind: 'handler', spec, handler: rule.handler as AdmitHandler });
    } else if (isSpecLike(rule.trim())) {
      this.admittanceRules.set(spec.text, { kind: 'delegate', spec, target: this.target(spec, rule.trim()) });
    } else {
      const snippet = this.snippet(rule, 'expression', `admittance ${specText}`);
      for (const a of snippet.admits) this.target(spec, a);
      if (snippet.emits > 0) throw new DefinitionError(`${this.name}: admittance ${specText} cannot emit`);
      this.admittanceRules.set(spec.text, { kind: 'expression', spec, snippet });
    }
    return this;
  }

  /** Declares what a transfer on `spec` does. */
  flow(specText: string, rule: string | EachRuleSource | ChunkRuleSource<P, S> | JitRuleSource): this {
    const spec = this.spec(specText);
    this.checkNew(this.flowRules, spec);
    if (typeof rule === 'string') {
      if (!isSpecLike(rule.trim())) {
        throw new DefinitionError(`${this.name}: flow ${specText} must delegate to a spec, run each(...) or chunk(...); got ${JSON.stringify(rule)}`);
      }
      this.flowRules.set(spec.text, { kind: 'delegate', spec, target: this.target(spec, rule.trim()) });
    } else if (rule.kind === 'chunk') {
      this.flowRules.set(spec.text, { kind: 'chunk', spec, handler: rule.handler as ChunkHandler });
    } else if (rule.kind === 'jit') {
      this.flowRules.set(spec.text, { kind: 'jit', spec, emit: rule.emit });
    } else {
      const where = `flow ${specText}`;
      const snippet = this.snippet(rule.snippet, 'statements', where);
      const target = rule.target === undefined ? undefined : this.target(spec, rule.target);
      if (snippet.emits > 0 && !target) throw new DefinitionError(`${this.name}: ${where} emits but names no target spec`);
      if (snippet.admits.length > 0) throw new DefinitionError(`${this.name}: ${where} cannot call admit()`);
      const range = rule.options.range === undefined ? undefined : this.snippet(rule.options.range, 'statements', `${where} range`, ['start', 'end']);
      this.flowRules.set(spec.text, { kind: 'each', spec, snippet, target, oneToOne: rule.options.oneToOne ?? false, range });
    }
    return this;
  }

  private snippet(source: string, kind: 'statements' | 'expression', where: string, extra: string[] = []): Snippet {
    try {
      return Snippet.parse(source, kind, `${this.name}: ${where}`, new Set([...this.known, ...extra]));
    } catch (error) {
      if (error instanceof SnippetError) throw new DefinitionError(error.message);
      throw error;
    }
  }

  private checkNew(rules: Map<string, unknown>, spec: Spec): void {
    this.version++;
    if (spec.member !== undefined) {
      throw new DefinitionError(`${this.name}: declare rules on the range ${JSON.stringify(spec.ruleText)}, not on the member ${JSON.stringify(spec.text)}`);
    }
    if (rules.has(spec.text)) throw new DefinitionError(`${this.name}: a rule for ${JSON.stringify(spec.text)} is already declared`);
  }

  /** Parses a rule's target and refuses a change of direction. */
  private target(from: Spec, text: string): Spec {
    const target = this.spec(text);
    if (target.direction !== from.direction) {
      const column = target.frame === 'near' ? 1 : text.length;
      throw new SpecError(this.name, text, column,
        `${JSON.stringify(from.text)} is a ${from.direction} and cannot delegate to a ${target.direction}`);
    }
    return target;
  }
}

function isNames(params: NonNullable<DefinitionOptions['params']>): params is readonly string[] {
  return Array.isArray(params);
}

/**
 * Declares a process class. Its parameters' and state's types are inferred
 * from the descriptors and initialisers in `options` (or given as P and S).
 */
export function define<P extends Params = Params, S extends State = State>(name: string, options: DefinitionOptions<P, S>): Definition<P, S> {
  return new Definition<P, S>(name, options);
}
