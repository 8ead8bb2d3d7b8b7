// A host's side of a migration: it adopts processes that were running on
// another thread, frozen there between turns (freezer/migrate.ts). It checks
// the resolver headers first (transport/dependencies.ts) and every parameter
// (portable functions checked again, module references resolved from this
// host's project), then thaws each process with the state it had, connects
// the processes that were connected to each other directly, and every port
// that leads back to the other thread through a thread link. Nothing is made
// before everything was checked: a refusal leaves this host as it was.
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { registry } from '../processes/registry.js';
import { decodeValues } from './codec.js';
import { checkDependencies, ENGINE_PACKAGE, type ResolverHeaders } from './dependencies.js';
import { unpackParams, type PackedParam } from './portable-params.js';
import { offerAgain, ThreadReader, ThreadWriter, type Wire } from './thread-link.js';

/** One parameter of a migrated process: as placement packs it, or a module reference (by its position in the headers). */
export type MigratedParam = PackedParam | { readonly kind: 'module'; readonly index: number };

export interface MigratedProcess {
  /** The registered definition's name. */
  readonly name: string;
  /** The step's name in messages, when it differs from the definition's (processes keep `map` or `filter`). */
  readonly step?: string;
  readonly params: Readonly<Record<string, MigratedParam>>;
  /** Its state record, through the value codec. */
  readonly state: Uint8Array;
  /** Its label where it ran before, for messages. */
  readonly was: string;
}

/** A connection between two migrated processes (positions in `processes`): made directly on this host. */
export interface MigratedLink {
  readonly from: number;
  readonly port: string;
  readonly to: number;
  readonly farPort: string;
}

/** A port of a migrated process connected to the other thread through `wire`. */
export interface MigratedWire {
  readonly process: number;
  readonly port: string;
  readonly wire: Wire;
}

/** Adopt these processes with this state; connect them to each other and through these wires. */
export interface AdoptRequest {
  readonly kind: 'adopt';
  readonly request: number;
  readonly headers: ResolverHeaders;
  readonly processes: readonly MigratedProcess[];
  readonly links: readonly MigratedLink[];
  /** Ports the processes read: a reader stand-in on this host feeds each. */
  readonly inputs: readonly MigratedWire[];
  /** Ports the processes write: each goes into a writer stand-in on this host. */
  readonly outputs: readonly MigratedWire[];
  /** The credit each reader on this host grants, in elements. */
  readonly window: number;
}

/**
 * Checks and thaws `m` in `io`. `readers` is the host's set of reader stand-ins
 * (see offerAgain); `root` the folder module references resolve from. Returns
 * the adopted processes' labels here; throws (MissingDependenciesError, or the
 * check's own error) before anything is made.
 */
export async function adopt(io: IO, m: AdoptRequest, readers: Set<ThreadReader>, root: string, hostName: string): Promise<string[]> {
  const what = `migration of ${m.processes.map((p) => p.was).join(', ')} to ${hostName}`;
  const modules = await checkDependencies(m.headers, { has: (name) => registry.has(name), engine: ENGINE_PACKAGE, root }, what);
  const thawed = m.processes.map((p) => {
    const packed: Record<string, PackedParam> = {};
    const params: Record<string, unknown> = {};
    for (const [key, param] of Object.entries(p.params)) {
      if (param.kind === 'module') params[key] = modules[param.index];
      else packed[key] = param;
    }
    Object.assign(params, unpackParams(packed, p.name, `${p.was} on ${hostName}`));
    const state = decodeValues(p.state)[0] as Record<string, unknown>;
    return { definition: registry.get(p.name)!.definition, params, state, step: p.step };
  });
  // Everything checked: from here on nothing refuses.
  const made = thawed.map(({ definition, params, state, step }) => {
    const p = new Process(io, definition, params);
    if (step !== undefined) p.nameStep(step);
    for (const name of definition.stateNames) if (name in state) p.state[name] = state[name];
    return p;
  });
  for (const l of m.links) made[l.from]!.connect(l.port, made[l.to]!, l.farPort);
  const mine: ThreadReader[] = [];
  for (const { process, port, wire } of m.inputs) {
    const reader = new ThreadReader(io, wire, m.window, () => offerAgain(readers));
    reader.process.connect('out', made[process]!, port);
    mine.push(reader);
  }
  for (const { process, port, wire } of m.outputs) {
    const writer = new ThreadWriter(io, wire);
    made[process]!.connect(port, writer.process, 'in');
  }
  for (const r of mine) {
    readers.add(r);
    r.start();
  }
  return made.map((p) => p.label);
}
