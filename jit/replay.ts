// Binding a known shape without generating code again.
//
// Compiling an entry asks the topology a few questions: which process and port
// is on the far end of this port, which members of this range are connected,
// is this state field a number now. The answers decide the generated text. A
// compile records its questions and answers (the trace) and, for every slot, a
// recipe that finds the slot's value from the processes in the trace. A later
// entry starting at a process of the same definition replays the trace against
// its own topology; if every answer matches, the shape is the same, so the
// compiled function is reused and only the slots are bound afresh.
import { portOf } from '../engine/address.js';
import type { Definition } from '../engine/definition.js';
import { LOCAL, transportOf } from '../engine/ports.js';
import type { Process } from '../engine/process.js';
import type { Name, Slot } from '../codegen/code.js';
import type { CompiledChain, Entry, EntryKind } from './entry.js';
import { findMeeting } from './overcommit.js';
import { entryOf } from './entries.js';

export type NumericKind = 'int32' | 'number' | 'other';

export type Step =
  /** `barrier`: the connection crosses a transport, so the far process is called, not inlined. */
  | { op: 'follow'; k: number; port: number; far?: { def: Definition; version: number; port: number; k: number; barrier: boolean } }
  | { op: 'members'; k: number; range: string; ports: number[] }
  | { op: 'open'; k: number; range: string; ports: number[] }
  /** The branches of the broadcast over `range` do not meet on one port (see overcommit.ts). */
  | { op: 'apart'; k: number; range: string }
  | { op: 'numeric'; k: number; field: string; is: NumericKind };

export type Recipe =
  | { of: 'constant'; value: unknown; label: string }
  | { of: 'scratch'; length: 0 | 1; k: number; label: string }
  | { of: 'process'; k: number }
  | { of: 'param'; k: number; name: string }
  | { of: 'state'; k: number }
  | { of: 'entry'; k: number; spec: string; kind: EntryKind }
  | { of: 'retype' };

/** The value a recipe finds among `procs` (numbered as in the trace) for `entry`. */
export function resolve(r: Recipe, procs: readonly Process[], entry: Entry): unknown {
  switch (r.of) {
    case 'constant': return r.value;
    case 'scratch': return new Array(r.length);
    case 'process': return procs[r.k];
    case 'param': return procs[r.k].params[r.name];
    case 'state': return procs[r.k].state;
    case 'entry': return entryOf(procs[r.k], r.spec, r.kind);
    case 'retype': return entry.retype;
  }
}

/** The label `explain` shows for a slot. */
export function describe(r: Recipe, procs: readonly Process[]): string {
  switch (r.of) {
    case 'constant': return r.label;
    case 'scratch': return `${r.label} ${procs[r.k].label}`;
    case 'process': return `process ${procs[r.k].label}`;
    case 'param': return `${procs[r.k].label} parameter ${r.name}`;
    case 'state': return `${procs[r.k].label} state`;
    case 'entry': return `entry ${procs[r.k].label} ${r.spec} ${r.kind}`;
    case 'retype': return 'runtime re-specialise this entry';
  }
}

export interface Recorded<F> {
  version: number;
  trace: readonly Step[];
  recipes: readonly Recipe[];
  names: readonly Name[];
  /** Port numbers and ranges each process (by number) was watched on. */
  watched: readonly (readonly [number, number | string])[];
  factory: F;
}

const MAX_SHAPES_PER_START = 8;
const recorded = new Map<Definition, Map<string, Recorded<unknown>[]>>();

function keyOf(entry: Entry): string {
  return `${entry.kind} ${entry.spec.text} ${entry.start.io.fuse}`;
}

export function record<F>(entry: Entry, r: Recorded<F>): void {
  let byKey = recorded.get(entry.start.def);
  if (!byKey) recorded.set(entry.start.def, (byKey = new Map()));
  const list = byKey.get(keyOf(entry)) ?? [];
  list.unshift(r);
  if (list.length > MAX_SHAPES_PER_START) list.pop();
  byKey.set(keyOf(entry), list);
}

export function forgetRecorded(): void {
  recorded.clear();
}

export interface Replayed<F> {
  factory: F;
  procs: Process[];
  values: unknown[];
  recorded: Recorded<F>;
}

/** A chain bound by replay: the labels of its slots are made only when `explain` asks for them. */
export class BoundChain implements CompiledChain {
  readonly shape: number;
  readonly name: string;

  constructor(
    /** The shape's compiled function; its source is printed when read (jit/compile.ts). */
    private readonly factory: { readonly shape: number; readonly name: string; readonly source: string },
    private readonly recorded: Recorded<unknown>,
    private readonly procs: readonly Process[],
    private readonly values: readonly unknown[],
  ) {
    this.shape = factory.shape;
    this.name = factory.name;
  }

  get source(): string {
    return this.factory.source;
  }

  get slots(): Slot[] {
    const { recipes, names } = this.recorded;
    return recipes.map((recipe, i) => ({ name: names[i], label: describe(recipe, this.procs), value: this.values[i] }));
  }
}

/** A recorded shape whose trace this entry's topology answers the same way, bound to this entry's processes. */
export function replay<F>(entry: Entry): Replayed<F> | undefined {
  const list = recorded.get(entry.start.def)?.get(keyOf(entry)) as Recorded<F>[] | undefined;
  if (!list) return undefined;
  for (const r of list) {
    if (r.version !== entry.start.def.version) continue;
    const procs = follow(entry.start, r.trace);
    if (!procs) continue;
    const values = r.recipes.map((recipe) => resolve(recipe, procs, entry));
    return { factory: r.factory, procs, values, recorded: r };
  }
  return undefined;
}

/** The connection on port number `port` of `p` crosses a transport: the JIT fuses up to it and no further. */
export function crossesTransport(p: Process, port: number): boolean {
  const transport = transportOf(p, port);
  return transport !== undefined && transport !== LOCAL;
}

/** The members whose readers have not ended their stream. */
export function openMembers(p: Process, members: readonly number[]): number[] {
  return members.filter((n) => !p.isEnded(n));
}

/**
 * How a state field is loaded into a flow function: as an int32 counter, as a
 * number, or as it is. The compiler asks it and records the answer; replay asks
 * it again, so both read this one function.
 */
export function numericKind(p: Process, field: string): NumericKind {
  const v = p.state[field];
  if (typeof v !== 'number') return 'other';
  if (p.def.counters.has(field) && (v | 0) === v && !Object.is(v, -0)) return 'int32';
  return 'number';
}

/** Replays a trace from `start`; the processes it reaches, numbered, or undefined at the first different answer. */
function follow(start: Process, trace: readonly Step[]): Process[] | undefined {
  const procs = [start];
  for (const step of trace) {
    const p = procs[step.k];
    if (step.op === 'follow') {
      const far = p.farProcess(step.port);
      if (!step.far) {
        if (far) return undefined;
        continue;
      }
      if (!far || far.def !== step.far.def || far.def.version !== step.far.version || portOf(p.ports[step.port]) !== step.far.port) return undefined;
      if (crossesTransport(p, step.port) !== step.far.barrier) return undefined;
      if (step.far.k === procs.length) procs.push(far);
      else if (procs[step.far.k] !== far) return undefined;
    } else if (step.op === 'apart') {
      if (findMeeting(p, step.range) !== undefined) return undefined;
    } else if (step.op === 'members' || step.op === 'open') {
      const members = p.members(step.range);
      const ports = step.op === 'open' ? openMembers(p, members) : members;
      if (ports.length !== step.ports.length || ports.some((n, i) => n !== step.ports[i])) return undefined;
    } else if (numericKind(p, step.field) !== step.is) {
      return undefined;
    }
  }
  return procs;
}
