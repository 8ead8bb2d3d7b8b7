// Fusion: compile an entry by following connections and inlining each
// process's rules into one function.
//
// Writes: a chunk xs[start, end) enters at a spec. Delegations and far-end
// specs are followed; range rules (drop, take) move the bounds; the first
// element rule opens one loop and every element rule after it nests inside that
// loop (map: `emit(f(x))`, grep: `if (p(x)) emit(x)`); chunk rules (buffers,
// IO) are inlining barriers called with the whole chunk. A JIT rule met while
// the chunk is still the one the entry was called with also sees the entry's
// `stable` argument (the writer's promise that the chunk will not change).
//
// Reads: the chain is followed upstream to a chunk rule that fills the
// destination; the one-to-one element rules met on the way are applied in one
// loop over what was filled.
//
// State fields are locals of the generated function (loaded on entry, stored
// back in `finally`), renamed per process; parameters and every other value
// come in through the slot table. Generated text is keyed by shape, so chains
// of one shape share one `new Function`.
import { parse } from 'acorn';
import { generate } from 'astring';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { portOf } from '../engine/address.js';
import type { AdmittanceRule, FlowRule } from '../engine/definition.js';
import type { Process } from '../engine/process.js';
import { farSpec, type Spec } from '../engine/spec.js';
import { checkIdentifier, code, join, literal, Name, SlotTable, type Code } from '../codegen/code.js';
import { names as fixed } from '../codegen/names.js';
import { interpreted, type CompiledChain, type Entry, type EntryFunction } from './entry.js';
import { ast, print, type Snippet } from '../codegen/snippet.js';
import { stats } from './stats.js';
import { entryOf } from './entries.js';
import { noReaderLeft, shortfall, unconnected } from './runtime.js';
import { broadcasts, findMeeting, meetingMessage, mend } from './overcommit.js';
import { BoundChain, crossesTransport, describe, forgetRecorded, numericKind, openMembers, record, replay, type Recipe, type Step } from './replay.js';
import type { EntryKind } from './entry.js';

export class CompileError extends Error {
  override name = 'CompileError';
}

interface Factory {
  shape: number;
  name: string;
  source: string;
  make: (slots: unknown[]) => EntryFunction;
}

const shapes = new Map<string, Factory>();
let nextShape = 1;

/** Forgets every compiled shape (tests use it to count compiles from zero). */
export function clearShapeCache(): void {
  shapes.clear();
  forgetRecorded();
}

interface Chunk {
  xs: Name;
  start: Name;
  end: Name;
  /**
   * Only for the chunk a write entry was called with, moved on unchanged (its
   * bounds may narrow): the entry's `stable` argument. Chunks that fused code
   * builds itself (one-element scratch arrays) have none: they change.
   */
  stable?: Name;
}

/** Work that belongs to the whole generated function rather than one place in it. */
class Gen {
  readonly slots = new SlotTable();
  readonly index = new Map<Process, number>();
  readonly inlined: Process[] = [];
  readonly names: string[] = [];
  readonly hoist: Code[] = [];
  readonly writeback: Code[] = [];
  readonly finals: Code[] = [];
  private readonly settled = new Set<Process>();
  private readonly locals = new Map<string, Name>();
  private readonly slotFor = new Map<unknown, Name>();
  private readonly visiting = new Set<string>();
  /** What each inlined process's connections this entry followed: port numbers or `range:name`. */
  readonly watched = new Map<Process, Set<number | string>>();
  /** Every question this compile asked of the topology, with its answer (see `replay`). */
  readonly trace: Step[] = [];
  /** How to find each slot's value again for another chain of the same shape. */
  readonly recipes: Recipe[] = [];
  private temp = 0;

  constructor(readonly entry: Entry, readonly fuse: boolean) {
    this.proc(entry.start);
  }

  /** Registers P as inlined and gives it its per-chain number. */
  proc(p: Process): number {
    let k = this.index.get(p);
    if (k === undefined) {
      k = this.index.size;
      this.index.set(p, k);
      this.inlined.push(p);
    }
    return k;
  }

  /** A named process in the function name (only for processes whose rules ran). */
  ran(p: Process): void {
    if (!this.names.includes(p.def.name) || this.names[this.names.length - 1] !== p.def.name) this.names.push(p.def.name);
    if (p.def.settle && !this.settled.has(p) && this.entry.kind === 'flow') {
      this.settled.add(p);
      this.finals.push(code`${this.constant(p.def.settle, 'settle', `${p.def.name}.settle`)}(${this.process(p)});`);
    }
  }

  /** A slot for `v`, found again for another chain of this shape by `recipe`; one slot per value. */
  private slot(v: unknown, recipe: Recipe, hint: string): Name {
    let name = this.slotFor.get(v);
    if (!name) {
      name = this.slots.add(v, hint, describe(recipe, this.inlined));
      this.slotFor.set(v, name);
      this.recipes.push(recipe);
    }
    return name;
  }

  /** A value that belongs to the definitions, not to one chain: the same for every chain of a shape. */
  constant(v: unknown, hint: string, label: string): Name {
    return this.slot(v, { of: 'constant', value: v, label }, hint);
  }

  /** A new array of `length` for each chain, scratch space of process P. */
  scratch(length: 0 | 1, p: Process, hint: string, label: string): Name {
    const k = this.proc(p);
    return this.slot(new Array(length), { of: 'scratch', length, k, label }, `${hint}_${k}`);
  }

  process(p: Process): Name {
    const k = this.proc(p);
    return this.slot(p, { of: 'process', k }, `p_${k}`);
  }

  /** Another process's own entry, called instead of inlined (unfused mode). */
  entryOf(p: Process, spec: string, kind: EntryKind): Name {
    const k = this.proc(p);
    return this.slot(entryOf(p, spec, kind), { of: 'entry', k, spec, kind }, 'e');
  }

  param(p: Process, name: string): Name {
    const k = this.proc(p);
    const key = `param:${k}:${name}`;
    let slot = this.locals.get(key);
    if (!slot) {
      const recipe: Recipe = { of: 'param', k, name };
      slot = this.slots.add(p.params[name], `${name}_${k}`, describe(recipe, this.inlined));
      this.recipes.push(recipe);
      this.locals.set(key, slot);
    }
    return slot;
  }

  stateObject(p: Process): Name {
    const k = this.proc(p);
    return this.slot(p.state, { of: 'state', k }, `s_${k}`);
  }

  /** A state field as a local of the flow function, loaded on entry and stored back on exit. */
  stateLocal(p: Process, field: string): Name {
    const k = this.proc(p);
    const key = `state:${k}:${field}`;
    let local = this.locals.get(key);
    if (!local) {
      local = new Name(`${field}_${k}`);
      this.locals.set(key, local);
      const obj = this.stateObject(p);
      const kind = numericKind(p, field);
      this.trace.push({ op: 'numeric', k, field, is: kind });
      const loaded = new Name(`${local.text}$in`);
      const load = code`const ${loaded} = ${obj}.${new Name(field)};`;
      // A number now: load it typed. V8 shares hidden classes between objects with
      // the same keys, so the field itself may be typed "anything", and an untyped
      // start would keep an accumulator boxed for the whole loop. `+` is the
      // identity on numbers; `| 0` on int32 values, and lets counters index arrays
      // without conversions. The guard re-specialises the entry if the field
      // ever holds something else.
      if (kind === 'int32') {
        const retype = this.slot(this.entry.retype, { of: 'retype' }, 'retype');
        this.hoist.push(code`${load}\nif ((${loaded} | 0) !== ${loaded} || Object.is(${loaded}, -0)) return ${retype}(${fixed.xs}, ${fixed.offset}, ${fixed.n}, ${fixed.stable});\nlet ${local} = ${loaded} | 0;`);
      } else if (kind === 'number') {
        const retype = this.slot(this.entry.retype, { of: 'retype' }, 'retype');
        this.hoist.push(code`${load}\nif (typeof ${loaded} !== "number") return ${retype}(${fixed.xs}, ${fixed.offset}, ${fixed.n}, ${fixed.stable});\nlet ${local} = +${loaded};`);
      } else {
        this.hoist.push(code`let ${local} = ${obj}.${new Name(field)};`);
      }
      this.writeback.push(code`${obj}.${new Name(field)} = ${local};`);
    }
    return local;
  }

  fresh(prefix: string): Name {
    return new Name(`${prefix}${this.temp++}`);
  }

  /** Guards against a flow path that comes back to where it started. */
  enter(p: Process, spec: Spec): () => void {
    const key = `${p.id}:${spec.text}`;
    if (this.visiting.has(key)) {
      throw new CompileError(`chain from ${this.entry.start.label} ${this.entry.spec.text}: the flow path loops back to ${p.label} ${spec.text}`);
    }
    this.visiting.add(key);
    return () => this.visiting.delete(key);
  }

  /** Follows a far-end spec across its connection; registers P, whose connection is now inlined. */
  follow(p: Process, spec: Spec): Far | undefined {
    const port = p.portNumber(spec.port);
    this.watch(p, port);
    const k = this.proc(p);
    const far = p.peer(port);
    if (!far) {
      this.trace.push({ op: 'follow', k, port });
      return undefined;
    }
    const def = far.process.def;
    const farPort = portOf(p.ports[port]);
    const barrier = crossesTransport(p, port);
    this.trace.push({ op: 'follow', k, port, far: { def, version: def.version, port: farPort, k: this.proc(far.process), barrier } });
    return { proc: far.process, spec: farSpec(spec, far.port), barrier };
  }

  /** The connected members of a range, as an observation of the topology. */
  members(p: Process, range: string): number[] {
    const ports = p.members(range);
    this.trace.push({ op: 'members', k: this.proc(p), range, ports });
    return ports;
  }

  /**
   * The connected members whose readers have not ended their stream: a branch
   * that ended (a take that has all it wanted) receives nothing more and no
   * longer holds the others back. Ending a member marks the entries that fan
   * out over the range stale (Process.peerEnded).
   */
  openMembers(p: Process, range: string): number[] {
    const ports = openMembers(p, this.members(p, range));
    this.trace.push({ op: 'open', k: this.proc(p), range, ports });
    return ports;
  }

  watch(p: Process, key: number | string): void {
    this.proc(p);
    let keys = this.watched.get(p);
    if (!keys) this.watched.set(p, (keys = new Set()));
    keys.add(key);
  }

  /**
   * Compiles one branch per open member of a range spec ('out[]>') with
   * `each`. Branches that meet again on one port would each be admitted the
   * same amount and both deliver it there: the over-commit trap (see
   * overcommit.ts). It is mended before anything is compiled (a one-flow buffer
   * on each branch that meets), or refused in a strict container.
   */
  fanOut<T>(p: Process, spec: Spec, each: (memberSpec: string) => T): T[] {
    this.watch(p, `range:${spec.range}`);
    if (spec.direction === 'write' && broadcasts(p.def, spec.range!)) {
      const meeting = findMeeting(p, spec.range!);
      if (meeting !== undefined) {
        if (p.io.strict) throw new CompileError(meetingMessage(meeting));
        mend(meeting);
      }
      // Replay checks again: what lies past a buffer or another entry is not in the trace.
      this.trace.push({ op: 'apart', k: this.proc(p), range: spec.range! });
    }
    return this.openMembers(p, spec.range!).map((n) => each(`${p.portName(n)}${spec.direction === 'write' ? '>' : '<'}`));
  }

  /**
   * A snippet with its names rewritten for process P. `emit(v)` becomes
   * `{ const xK = v; <then(xK)> }`, and `admit('spec')` the inlined admittance.
   */
  instantiate(p: Process, snippet: Snippet, bound: {
    x?: Name; n?: Code; start?: Name; end?: Name;
    inFlow: boolean;
    then?: (x: Name) => Code;
    onAdmit?: (spec: string) => Code;
  }): Code {
    const k = this.proc(p);
    const node = snippet.instantiate({
      rewrite: (name) => {
        if (p.def.params.includes(name)) return ast.id(this.param(p, name));
        if (p.def.stateNames.includes(name)) {
          return bound.inFlow ? ast.id(this.stateLocal(p, name)) : ast.member(this.stateObject(p), new Name(name));
        }
        if (snippet.locals.has(name)) return ast.id(new Name(`${name}_${k}_`));
        if (name === 'x' && bound.x) return ast.id(bound.x);
        if (name === 'n' && bound.n) return ast.code(code`(${bound.n})`);
        if (name === 'start' && bound.start) return ast.id(bound.start);
        if (name === 'end' && bound.end) return ast.id(bound.end);
        return undefined;
      },
      onEmit: bound.then && ((value) => {
        const x = this.fresh('x');
        return ast.code(code`{\nconst ${x} = ${print(value)};\n${bound.then!(x)}\n}`);
      }),
      onAdmit: bound.onAdmit && ((spec) => ast.code(code`(${bound.onAdmit!(spec)})`)),
    });
    return print(node);
  }
}

// ---------------------------------------------------------------- the resolver

/** A far end the resolver followed: the process there, the spec on its side, and whether a transport lies between. */
interface Far {
  proc: Process;
  spec: string;
  barrier: boolean;
}

/**
 * What one emitter (admittance, write a chunk, write an element, read a chunk)
 * makes at each kind of place the resolver finds a spec leads to.
 */
interface Emitter<T> {
  /** A whole range on the far side ('out[]>'): every open member. */
  fanOut(spec: Spec): T;
  /** A far-end spec on a port with nothing connected. */
  unconnected(spec: Spec): T;
  /** Unfused mode, or a connection across a transport: the far process's own entry, called instead of inlined. */
  callEntry(far: Far): T;
  /** Fused: carry on at the far process, inlining it. */
  inline(far: Far): T;
  /** A spec of the process itself: its rule (a loop back to it is refused first). */
  rule(spec: Spec): T;
}

/**
 * Where `specText` of `p` leads, told to the emitter: across a connection
 * (followed and watched), to a whole range, to nothing, or to a rule of `p`.
 * The four emitters share this walk; each says only what it makes there.
 */
function resolve<T>(gen: Gen, p: Process, specText: string, emitter: Emitter<T>): T {
  const spec = p.def.spec(specText);
  if (spec.frame === 'far' && spec.range !== undefined && spec.member === undefined) return emitter.fanOut(spec);
  if (spec.frame === 'far') {
    const far = gen.follow(p, spec);
    if (!far) return emitter.unconnected(spec);
    // A connection that crosses a transport is a barrier: its far end is a
    // stand-in (see docs/transports.md), called through its own entry.
    if (!gen.fuse || far.barrier) return emitter.callEntry(far);
    return emitter.inline(far);
  }
  const leave = gen.enter(p, spec);
  try {
    return emitter.rule(spec);
  } finally {
    leave();
  }
}

// ---------------------------------------------------------------- admittance

function admitExpr(gen: Gen, p: Process, specText: string, n: Code): Code {
  return resolve(gen, p, specText, {
    fanOut: (spec) => {
      // Every member must accept (a broadcast): the smallest admittance; no members, nothing.
      const parts = gen.fanOut(p, spec, (member) => admitExpr(gen, p, member, n));
      if (parts.length === 0) {
        // Every reader has ended: the process ends its inputs, so its sources stop.
        const ended = p.members(spec.range!).length > 0;
        return ended ? code`${gen.constant(noReaderLeft, 'noReaderLeft', 'runtime noReaderLeft')}(${gen.process(p)})` : code`0`;
      }
      return parts.reduce((a, b) => code`Math.min(${a}, ${b})`);
    },
    unconnected: () => code`0`,
    callEntry: (far) => code`${gen.entryOf(far.proc, far.spec, 'admittance')}.fn(${n})`,
    inline: (far) => admitExpr(gen, far.proc, far.spec, n),
    rule: (spec) => {
      const rule: AdmittanceRule | undefined = p.def.admittanceRules.get(spec.ruleText);
      gen.ran(p);
      if (!rule) {
        // Without an admittance rule, a spec admits what its flow rule's target admits.
        const flow = p.def.flowRules.get(spec.ruleText);
        const target = flow && (flow.kind === 'delegate' || flow.kind === 'each') ? flow.target : undefined;
        if (!target) throw new CompileError(`${p.label} has no admittance rule for ${JSON.stringify(spec.text)}`);
        return admitExpr(gen, p, target.text, n);
      }
      switch (rule.kind) {
        case 'delegate':
          return admitExpr(gen, p, rule.target.text, n);
        case 'expression': {
          const expr = gen.instantiate(p, rule.snippet, { n, inFlow: false, onAdmit: (s) => admitExpr(gen, p, s, n) });
          return code`Math.max(0, Math.min(${n}, ${expr}))`;
        }
        case 'handler':
          return code`Math.max(0, Math.min(${n}, ${gen.constant(rule.handler, 'admit', `${p.def.name} admittance ${spec.text}`)}(${gen.process(p)}, ${n})))`;
        case 'jit': {
          const expr = rule.emit({
            n,
            constant: (v, label) => gen.constant(v, 'v', `${p.def.name} ${label}`),
            state: (field) => code`${gen.stateObject(p)}.${checkField(p, field)}`,
            param: (name) => gen.param(p, checkParam(p, name)),
            admit: (s) => admitExpr(gen, p, p.def.spec(s).text, n),
          });
          return code`Math.max(0, Math.min(${n}, ${expr}))`;
        }
      }
    },
  });
}

// ---------------------------------------------------------------- writes

function flowRule(gen: Gen, p: Process, spec: Spec): FlowRule {
  const rule = p.def.flowRules.get(spec.ruleText);
  if (!rule) throw new CompileError(`${p.label} has no flow rule for ${JSON.stringify(spec.text)}`);
  gen.proc(p);
  return rule;
}

function writeChunk(gen: Gen, p: Process, specText: string, c: Chunk): Code {
  return resolve(gen, p, specText, {
    // A broadcast: the same chunk to every member, in member order.
    fanOut: (spec) => join(gen.fanOut(p, spec, (member) => writeChunk(gen, p, member, c))),
    unconnected: (spec) => notConnected(gen, p, spec, c),
    callEntry: (far) => callEntry(gen, far.proc, far.spec, c.xs, c.start, code`${c.end} - ${c.start}`, c.stable),
    inline: (far) => writeChunk(gen, far.proc, far.spec, c),
    rule: (spec) => {
      const rule = flowRule(gen, p, spec);
      gen.ran(p);
      switch (rule.kind) {
        case 'delegate':
          return writeChunk(gen, p, rule.target.text, c);
        case 'chunk':
          return callChunk(gen, p, rule, c.xs, c.start, code`${c.end} - ${c.start}`);
        case 'jit':
          return jitChunk(gen, p, rule, c, (s) => writeChunk(gen, p, s, c));
        case 'each': {
          if (rule.range) {
            const range = gen.instantiate(p, rule.range, { start: c.start, end: c.end, inFlow: true });
            const rest = rule.target ? writeChunk(gen, p, rule.target.text, c) : code``;
            return code`${range}\n${rest}`;
          }
          const i = gen.fresh('i');
          const x = gen.fresh('x');
          const body = eachElement(gen, p, rule, x);
          return code`for (let ${i} = ${c.start}; ${i} < ${c.end}; ${i}++) {\nconst ${x} = ${c.xs}[${i}];\n${body}\n}`;
        }
      }
    },
  });
}

/** One element through an element rule: the snippet, with emit continuing to the rule's target. */
function eachElement(gen: Gen, p: Process, rule: Extract<FlowRule, { kind: 'each' }>, x: Name): Code {
  return gen.instantiate(p, rule.snippet, {
    x,
    inFlow: true,
    then: (v) => (rule.target ? writeElement(gen, p, rule.target.text, v) : code``),
  });
}

function writeElement(gen: Gen, p: Process, specText: string, x: Name): Code {
  return resolve(gen, p, specText, {
    fanOut: (spec) => join(gen.fanOut(p, spec, (member) => writeElement(gen, p, member, x))),
    unconnected: (spec) => code`${gen.constant(unconnected, 'unconnected', 'runtime unconnected')}(${gen.process(p)}, ${literal(spec.port)});`,
    callEntry: (far) => {
      if (far.barrier) {
        // Across a transport: collect the elements, hand them to the stand-in once.
        const pending = gen.scratch(0, far.proc, 'pending', 'elements pending for');
        const k = fixed.pendingCount;
        gen.finals.unshift(code`if (${pending}.length > 0) { const ${k} = ${pending}.length; try { ${callEntry(gen, far.proc, far.spec, pending, code`0`, code`${k}`)} } finally { ${pending}.length = 0; } }`);
        return code`${pending}.push(${x});`;
      }
      const one = gen.scratch(1, far.proc, 'one', 'one-element chunk for');
      return code`${one}[0] = ${x};\n${callEntry(gen, far.proc, far.spec, one, code`0`, code`1`)}`;
    },
    inline: (far) => writeElement(gen, far.proc, far.spec, x),
    rule: (spec) => {
      const rule = flowRule(gen, p, spec);
      gen.ran(p);
      switch (rule.kind) {
        case 'delegate':
          return writeElement(gen, p, rule.target.text, x);
        case 'chunk': {
          // A barrier met inside a loop: collect the elements, hand them over once.
          const pending = gen.scratch(0, p, 'pending', 'elements pending for');
          const k = fixed.pendingCount;
          gen.finals.unshift(code`if (${pending}.length > 0) { const ${k} = ${pending}.length; try { ${callChunk(gen, p, rule, pending, code`0`, code`${k}`)} } finally { ${pending}.length = 0; } }`);
          return code`${pending}.push(${x});`;
        }
        case 'jit': {
          // A chunk-level rule met inside a loop runs on a one-element chunk.
          const one = gen.scratch(1, p, 'one', 'one-element chunk for');
          const c: Chunk = { xs: one, start: gen.fresh('start'), end: gen.fresh('end') };
          return code`{ ${one}[0] = ${x}; let ${c.start} = 0, ${c.end} = 1;\n${jitChunk(gen, p, rule, c, (s) => writeChunk(gen, p, s, c))} }`;
        }
        case 'each':
          return eachElement(gen, p, rule, x);
      }
    },
  });
}

function callChunk(gen: Gen, p: Process, rule: Extract<FlowRule, { kind: 'chunk' }>, xs: Name, start: Code | Name, n: Code): Code {
  const h = gen.constant(rule.handler, 'chunk', `${p.def.name} flow ${rule.spec.text}`);
  const moved = gen.fresh('moved');
  return code`{ const ${moved} = ${h}(${gen.process(p)}, ${xs}, ${start}, ${n});\nif (${moved} !== ${n}) ${gen.constant(shortfall, 'shortfall', 'runtime shortfall')}(${gen.process(p)}, ${literal(rule.spec.text)}, ${moved}, ${n}); }`;
}

/** A JIT handler's code for the chunk c; `move` inlines what comes after it. */
function jitChunk(gen: Gen, p: Process, rule: Extract<FlowRule, { kind: 'jit' }>, c: Chunk, move: (spec: string) => Code): Code {
  const emitted = rule.emit({
    xs: c.xs,
    start: c.start,
    end: c.end,
    stable: c.stable,
    constant: (v, label) => gen.constant(v, 'v', `${p.def.name} ${label}`),
    state: (field) => gen.stateLocal(p, checkField(p, field).text),
    param: (name) => gen.param(p, checkParam(p, name)),
    move: (s) => move(p.def.spec(s).text),
    fresh: (prefix) => gen.fresh(checkIdentifier(prefix, 'name prefix')),
    self: () => gen.process(p),
    members: (s) => {
      const spec = p.def.spec(s);
      if (spec.range === undefined || spec.member !== undefined || spec.frame !== 'far') {
        throw new CompileError(`${p.label}: members() takes a whole range spec such as 'out[]>', not ${JSON.stringify(s)}`);
      }
      gen.watch(p, `range:${spec.range}`);
      return gen.openMembers(p, spec.range).map((n) => `${p.portName(n)}${spec.direction === 'write' ? '>' : '<'}`);
    },
    element: (s, x) => writeElement(gen, p, p.def.spec(s).text, x),
  });
  return code`{\n${emitted}\n}`;
}

function checkField(p: Process, field: string): Name {
  if (!p.def.stateNames.includes(field)) throw new CompileError(`${p.label}: no state field ${JSON.stringify(field)}`);
  return new Name(field);
}

function checkParam(p: Process, name: string): string {
  if (!p.def.params.includes(name)) throw new CompileError(`${p.label}: no parameter ${JSON.stringify(name)}`);
  return name;
}

/** A chunk bound for a port with nothing on the far end: an error if it is not empty (its admittance was 0). */
function notConnected(gen: Gen, p: Process, spec: Spec, c: Chunk): Code {
  return code`if (${c.end} > ${c.start}) ${gen.constant(unconnected, 'unconnected', 'runtime unconnected')}(${gen.process(p)}, ${literal(spec.port)});`;
}

/** Unfused mode: call the next process's own entry instead of inlining it (with `stable` when the chunk is still the entry's own). */
function callEntry(gen: Gen, p: Process, specText: string, xs: Name, start: Code | Name, n: Code, stable?: Name): Code {
  const e = gen.entryOf(p, specText, 'flow');
  return stable ? code`${e}.fn(${xs}, ${start}, ${n}, ${stable});` : code`${e}.fn(${xs}, ${start}, ${n});`;
}

// ---------------------------------------------------------------- reads

interface ReadPlan {
  fill: Code;
  stages: { p: Process; rule: Extract<FlowRule, { kind: 'each' }> }[];
}

function readChunk(gen: Gen, p: Process, specText: string, c: Chunk): ReadPlan {
  return resolve(gen, p, specText, {
    fanOut: (spec) => {
      throw new CompileError(`${p.label} ${spec.text}: a read cannot fan out over a range; read one member, or use a chunk handler`);
    },
    unconnected: (spec) => ({ fill: notConnected(gen, p, spec, c), stages: [] }),
    callEntry: (far) => ({ fill: callEntry(gen, far.proc, far.spec, c.xs, c.start, code`${c.end} - ${c.start}`), stages: [] }),
    inline: (far) => readChunk(gen, far.proc, far.spec, c),
    rule: (spec) => {
      const rule = flowRule(gen, p, spec);
      gen.ran(p);
      switch (rule.kind) {
        case 'delegate':
          return readChunk(gen, p, rule.target.text, c);
        case 'chunk':
          return { fill: callChunk(gen, p, rule, c.xs, c.start, code`${c.end} - ${c.start}`), stages: [] };
        case 'jit':
          return { fill: jitChunk(gen, p, rule, c, (s) => readAll(gen, p, s, c)), stages: [] };
        case 'each': {
          if (!rule.oneToOne || !rule.target) {
            throw new CompileError(`${p.label} ${spec.text}: a read rule must be one-to-one with a target, or a chunk handler`);
          }
          const upstream = readChunk(gen, p, rule.target.text, c);
          if (rule.range && upstream.stages.length === 0) {
            const range = gen.instantiate(p, rule.range, { start: c.start, end: c.end, inFlow: true });
            return { fill: code`${upstream.fill}\n${range}`, stages: [] };
          }
          return { fill: upstream.fill, stages: [...upstream.stages, { p, rule }] };
        }
      }
    },
  });
}

// ---------------------------------------------------------------- assembly

export interface Compiled {
  fn: EntryFunction;
  chain: CompiledChain;
  /** The processes the chain inlined, numbered: the start is 0. */
  inlined: Process[];
  /** The connections it followed: (process number, port number or `range:name`). */
  watched: readonly (readonly [number, number | string])[];
}

export function compileEntry(entry: Entry): Compiled {
  const known = replay<Factory>(entry);
  if (known) {
    stats.cacheHits++;
    const { factory, procs, values, recorded } = known;
    const chain = new BoundChain(factory, recorded, procs, values);
    return { fn: bind(entry, factory, values), chain, inlined: procs, watched: recorded.watched };
  }
  const gen = new Gen(entry, entry.start.io.fuse);
  const p = entry.start;
  let params: Code;
  let body: Code;
  const { xs, offset, n, stable, start, end } = fixed;
  if (entry.kind === 'admittance') {
    params = code`${n}`;
    body = code`return ${admitExpr(gen, p, entry.spec.text, code`${n}`)};`;
  } else {
    params = join([xs, offset, n, stable].map((name) => code`${name}`), ', ');
    const c: Chunk = { xs, start, end };
    if (entry.spec.direction === 'write') c.stable = stable;
    const work = entry.spec.direction === 'write' ? writeChunk(gen, p, entry.spec.text, c) : readAll(gen, p, entry.spec.text, c);
    body = code`let ${start} = ${offset}, ${end} = ${offset} + ${n};\n${join(gen.hoist)}\ntry {\n${work}\n} finally {\n${join(gen.writeback)}\n${join(gen.finals)}\n}\nreturn ${n};`;
  }
  const names = gen.names.length > 0 ? gen.names.join('_') : entry.start.def.name;
  const key = `${entry.kind}(${params.text})\n${gen.slots.prelude(fixed.slots).text}\n${body.text}`;
  let factory = shapes.get(key);
  if (factory) {
    stats.cacheHits++;
  } else {
    factory = load(gen, params, body, names, entry);
    shapes.set(key, factory);
  }
  const fn = bind(entry, factory, gen.slots.values());
  const printed = factory;
  const chain: CompiledChain = {
    shape: factory.shape,
    name: factory.name,
    // Printed when read (see load).
    get source() {
      return printed.source;
    },
    slots: gen.slots.slots,
  };
  const watched = [...gen.watched].flatMap(([q, keys]) => [...keys].map((key) => [gen.index.get(q)!, key] as const));
  record(entry, {
    version: entry.start.def.version,
    trace: gen.trace,
    recipes: gen.recipes,
    names: gen.slots.slots.map((slot) => slot.name),
    watched,
    factory,
  });
  return { fn, chain, inlined: gen.inlined, watched };
}

/** The entry's function over its slots; an interpreted flow also keeps its topology until the outermost flow returns. */
function bind(entry: Entry, factory: Factory, values: unknown[]): EntryFunction {
  const fn = factory.make(values);
  return entry.kind === 'flow' && !entry.start.io.fuse ? interpreted(fn) : fn;
}

function readAll(gen: Gen, p: Process, specText: string, c: Chunk): Code {
  const plan = readChunk(gen, p, specText, c);
  if (plan.stages.length === 0) return plan.fill;
  const i = gen.fresh('i');
  const x = gen.fresh('x');
  const store = (v: Name) => code`${c.xs}[${i}] = ${v};`;
  return code`${plan.fill}\nfor (let ${i} = ${c.start}; ${i} < ${c.end}; ${i}++) {\nconst ${x} = ${c.xs}[${i}];\n${stagesCode(gen, plan.stages, x, store)}\n}`;
}

function stagesCode(gen: Gen, stages: ReadPlan['stages'], x: Name, store: (v: Name) => Code): Code {
  if (stages.length === 0) return store(x);
  const [first, ...rest] = stages;
  return gen.instantiate(first.p, first.rule.snippet, { x, inFlow: true, then: (v) => stagesCode(gen, rest, v, store) });
}

function load(gen: Gen, params: Code, body: Code, names: string, entry: Entry): Factory {
  const shape = nextShape++;
  // Process class names are identifiers, checked where they are defined; the cut keeps one.
  const name = new Name(`chain_${shape}_${names}`.slice(0, 120));
  const url = `pushback://chain/${shape}/${name.text}.js`;
  // One function per shape, shared by every chain of that shape: its values come
  // in as `$slots` on each call, so V8 optimises it once and every instance reuses
  // the optimised code instead of starting cold.
  const raw = code`return function ${name}(${fixed.slots}, ${params}) {\n${gen.slots.prelude(fixed.slots)}\n${body}\n};`.text;
  // V8 compiles the generated text as it is. Pretty printing it (acorn, then
  // astring) is for people reading it (explain, PUSHBACK_JIT_DUMP) and is done
  // when they ask: at run time it cost a parse per shape, and a short command
  // never needed acorn at all. A text V8 refuses is parsed here to say where.
  // The factory outlives the chain (shapes keeps it): what it keeps for printing
  // is text only, never the entry and through it the processes.
  const chain = `chain ${shape} (${entry.start.label} ${entry.spec.text} ${entry.kind})`;
  let shared: (slots: unknown[], a: unknown, b?: unknown, c?: unknown, d?: unknown) => number;
  try {
    shared = new Function(`${raw}\n//# sourceURL=${url}\n`)() as typeof shared;
  } catch (error) {
    throw compileError(chain, raw, error);
  }
  let pretty: string | undefined;
  const source = (): string => (pretty ??= `${prettyPrinted(raw, chain)}//# sourceURL=${url}\n`);
  const make = entry.kind === 'admittance'
    ? (slots: unknown[]): EntryFunction => (n) => shared(slots, n)
    : (slots: unknown[]): EntryFunction => (xs, offset, n, stable) => shared(slots, xs, offset, n, stable);
  stats.compiles++;
  const dir = process.env.PUSHBACK_JIT_DUMP;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(joinPath(dir, `${name.text}.js`), source());
  }
  return {
    shape,
    name: name.text,
    get source() {
      return source();
    },
    make,
  };
}

/** The generated text as astring prints it, two spaces per level. */
function prettyPrinted(raw: string, chain: string): string {
  stats.printed++;
  try {
    return generate(parse(raw, { ecmaVersion: 2022, allowReturnOutsideFunction: true }), { indent: '  ' });
  } catch (error) {
    throw compileError(chain, raw, error);
  }
}

/** A generated text that does not compile, with the chain, the place (acorn's, when it has one) and the numbered text. */
function compileError(chain: string, raw: string, error: unknown): CompileError {
  let e = error as { message: string; loc?: { line: number; column: number } };
  if (e.loc === undefined) {
    try {
      parse(raw, { ecmaVersion: 2022, allowReturnOutsideFunction: true });
    } catch (located) {
      e = located as typeof e;
    }
  }
  const where = e.loc ? ` at line ${e.loc.line} column ${e.loc.column + 1}` : '';
  return new CompileError(`${chain}: ${e.message}${where}\n${numbered(raw)}`);
}

function numbered(source: string): string {
  return source.split('\n').map((line, i) => `${String(i + 1).padStart(4)} ${line}`).join('\n');
}

