// A host's side of a migration: it adopts processes that were running on
// another thread, frozen there between turns (freezer/migrate.ts). It checks
// the resolver headers first (transport/dependencies.ts) and every parameter
// (portable functions checked again, module references resolved from this
// host's project), then thaws each process with the state it had, connects
// the processes that were connected to each other directly, and every port
// that leads back to the other thread through a thread link. Nothing is made
// before everything was checked: a refusal leaves this host as it was.
//
// And the other way (release): the thread that sent them asks for them back.
// It has held its writers into this host and says how many elements each
// sent; the readers here stop delivering, wait until all of those arrived,
// and the processes are frozen between turns with what their readers still
// held (it goes back with them, to be delivered first). A state the codec
// cannot carry refuses the release and everything goes on here. Then the
// processes go, the writers here flush what they had admitted and say how
// much that was: the other thread delivers exactly that much downstream
// before it connects the thawed processes.
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { registry } from '../processes/registry.js';
import { checkCarriable, decodeValues, encodeValues, UncarriableValueError } from './codec.js';
import { checkDependencies, ENGINE_PACKAGE, type ResolverHeaders } from './dependencies.js';
import { unpackParams, type PackedParam } from './portable-params.js';
import { offerAgain, ThreadReader, ThreadWriter, type Wire } from './thread-link.js';
import { MigrationRefusedError, type MigrationProblem } from './migration-refused.js';

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

/** Processes this host adopted together, and its ends of their connections to the other thread. */
export interface AdoptedGroup {
  readonly request: AdoptRequest;
  readonly processes: readonly Process[];
  /** In the order of the request's inputs. */
  readonly readers: readonly ThreadReader[];
  /** In the order of the request's outputs. */
  readonly writers: readonly ThreadWriter[];
}

/** Give back the processes adopted by request `adoption`; `sent[i]` elements went into its i-th input. */
export interface ReleaseRequest {
  readonly kind: 'release';
  readonly request: number;
  readonly adoption: number;
  readonly sent: readonly number[];
}

/** The released processes: their state now, and what each connection still carries. */
export interface Released {
  readonly kind: 'released';
  readonly request: number;
  /** Each process's state record, through the value codec, in the order adopted. */
  readonly states: readonly Uint8Array[];
  /** Per input (in order): the elements received and not yet delivered, through the value codec. */
  readonly held: readonly Uint8Array[];
  /** Per output (in order): the elements the writer here sent in all. */
  readonly sent: readonly number[];
}

/**
 * Gives back `group` (see the top of this module). Throws MigrationRefusedError,
 * with everything running on as before, when a process cannot be frozen.
 */
export async function release(group: AdoptedGroup, m: ReleaseRequest, hostName: string): Promise<Released> {
  for (const r of group.readers) r.pause();
  try {
    await Promise.all(group.readers.map((r, i) => r.arrived(m.sent[i] ?? 0)));
  } catch (e) {
    for (const r of group.readers) r.resume();
    throw e;
  }
  // After an await: no flow is in progress.
  const problems: MigrationProblem[] = [];
  const states = group.processes.map((p) => {
    if (!p.inContainer) {
      problems.push({ process: `${p.label} on ${hostName}`, resource: 'itself', why: 'it has finished' });
      return new Uint8Array(0);
    }
    p.ports.forEach((address, n) => {
      if (address === 0) return;
      const [endedByPeer, endedByUs] = p.endState(n);
      if (endedByPeer || endedByUs) {
        problems.push({ process: `${p.label} on ${hostName}`, resource: `port '${p.portName(n)}'`, why: 'its stream has ended; a process whose streams are ending finishes where it is' });
      }
    });
    const state: Record<string, unknown> = {};
    for (const name of p.def.stateNames) {
      try {
        checkCarriable(p.state[name], name);
        state[name] = p.state[name];
      } catch (e) {
        if (!(e instanceof UncarriableValueError)) throw e;
        problems.push({ process: `${p.label} on ${hostName}`, resource: `state field '${name}'`, why: `a value that cannot be sent (${e.message})` });
      }
    }
    return problems.length === 0 ? encodeValues([state], `${p.label} state`) : new Uint8Array(0);
  });
  if (problems.length > 0) {
    for (const r of group.readers) r.resume();
    throw new MigrationRefusedError(problems);
  }
  // Everything frozen: from here on nothing refuses.
  const held = group.readers.map((r) => encodeValues([r.takeHeld()], `${r.wire.label} held`));
  for (const r of group.readers) {
    r.retire();
    r.process.io.unpin(r.process);
    r.process.remove();
  }
  for (const p of group.processes) p.remove();
  const sent = await Promise.all(group.writers.map((w) => w.hold()));
  for (const w of group.writers) {
    w.retire();
    w.process.io.unpin(w.process);
    w.process.remove();
  }
  return { kind: 'released', request: m.request, states, held, sent };
}

/**
 * Checks and thaws `m` in `io`. `readers` is the host's set of reader stand-ins
 * (see offerAgain); `root` the folder module references resolve from. Returns
 * the adopted group; throws (MissingDependenciesError, or the
 * check's own error) before anything is made.
 */
export async function adopt(io: IO, m: AdoptRequest, readers: Set<ThreadReader>, root: string, hostName: string): Promise<AdoptedGroup> {
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
  const writers: ThreadWriter[] = [];
  for (const { process, port, wire } of m.outputs) {
    const writer = new ThreadWriter(io, wire);
    made[process]!.connect(port, writer.process, 'in');
    writers.push(writer);
  }
  for (const r of mine) {
    readers.add(r);
    r.start();
  }
  return { request: m, processes: made, readers: mine, writers };
}
