// The Freezer's migration mode: a running process (or several, a chain's
// steps) moves to a host on a worker thread (transport/worker-host.ts) and goes
// on there with the state it had.
//
//   await migrate([mapStep, grepStep], host);
//
// 1. Quiesce: a flow is one synchronous call, so after an await no flow is in
//    progress; the engine holds nothing between two processes (what a
//    refused writer did not send is still in its own state).
// 2. Freeze, strictly: definition name and package, parameters (portable
//    functions, module references and values the codec carries), state, and
//    every port connection. Anything that cannot be sent (an open file, a
//    socket, a function that is not portable, a state field the codec does
//    not carry) refuses the whole migration before anything moves, naming the
//    resource and its process (MigrationRefusedError, everything at once).
// 3. Rewire, in the same synchronous step: each connection to a process that
//    stays is handed to a thread-link stand-in on this thread, whose
//    credit is zero until the host has thawed the far end: the processes
//    that stay are held exactly where they were.
// 4. Send `adopt` with the resolver headers (transport/dependencies.ts). The
//    host checks them, then every parameter, thaws the processes, connects
//    them and grants credit: the stream resumes. If the host refuses, every
//    connection moves back and the processes go on here as if nothing had
//    happened; the error lists everything the host lacks.
//
// Nothing in flight is lost or duplicated: every element is either in the
// state of a process that stays (sent after the move, through the link) or in
// the frozen state (sent from the host).
//
// Back, and on to another worker:
//
//   await migrate(steps, io.host);      // home: this thread's container
//   await migrate(steps, otherWorker);  // worker A -> worker B
//
// `steps` are the Process objects first migrated (this thread keeps where
// each went). Bringing processes home:
// 1. Hold this thread's writers into the host: they admit nothing more and
//    flush what they admitted; each says how many elements it sent.
// 2. `release`: the host's readers stop delivering, wait for those counts,
//    and the host freezes the processes between turns, with what their
//    readers still held (transport/adopt.ts). A state the codec cannot carry
//    refuses it: the writers here go on, everything runs on there.
// 3. The host's writers flush and say how much they sent; this thread's
//    readers deliver exactly that downstream.
// 4. Thaw here with the same definitions and parameters, connect downstream,
//    and put a replay (freezer/replay.ts) of the held elements in front of
//    each input; the writer upstream is connected again once it is empty.
// Worker A -> worker B is home and on, in one call: the processes are here for
// the moment between the two (if B refuses, they stay here and run on).
// A host lost while it gives processes back breaks their links as any lost
// host does: the output has an exact prefix, and ends with the host's error.
import { hostIndex, type HostId } from '../engine/address.js';
import type { IO } from '../engine/io.js';
import { joinRunOf } from '../engine/run.js';
import { Process } from '../engine/process.js';
import { registry } from '../processes/registry.js';
import { checkCarriable, decodeValues, encodeValues, UncarriableValueError } from '../transport/codec.js';
import { CALLER_PACKAGE, ENGINE_PACKAGE, type DefinitionProvenance, type ResolverHeaders } from '../transport/dependencies.js';
import type { AdoptRequest, MigratedLink, MigratedParam, MigratedProcess, MigratedWire } from '../transport/adopt.js';
import { MissingDependenciesError, type ModuleReference } from '../transport/modules.js';
import { checkPortable, NotPortableError } from '../transport/portable.js';
import { LinkBrokenError, threadReader, threadWriter, type ThreadReader, type ThreadWriter } from '../transport/thread-link.js';
import { resetRing } from '../transport/ring-layout.js';
import type { WorkerHost } from '../transport/worker-host.js';
import type { WorkerReply } from '../transport/worker-messages.js';
import { isReader, isWriter } from './devices.js';
import { referenceOf } from './references.js';
import { Replay } from './replay.js';
import { MigrationRefusedError, type MigrationProblem } from '../transport/migration-refused.js';

export { MigrationRefusedError, type MigrationProblem };

/** What a migration did. */
export interface Migrated {
  /** The processes' labels on the host, in the order given. */
  readonly labels: readonly string[];
  /** The bytes of the frozen states sent. */
  readonly stateBytes: number;
}

/** A frozen set of processes, ready to send, and how its connections move. */
export interface FrozenMigration {
  readonly headers: ResolverHeaders;
  readonly processes: readonly MigratedProcess[];
  readonly links: readonly MigratedLink[];
  /** Connections to processes that stay: `input` when the migrating process reads the port. */
  readonly boundary: readonly { readonly process: number; readonly port: string; readonly input: boolean }[];
  readonly stateBytes: number;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name ? `an instance of ${name}` : 'an object';
}

function uncarriable(value: unknown, path: string): string | undefined {
  try {
    checkCarriable(value, path);
    return undefined;
  } catch (e) {
    if (e instanceof UncarriableValueError) return e.message;
    throw e;
  }
}

/**
 * Freezes `processes` for another host, strictly: throws MigrationRefusedError
 * listing every resource that cannot go. Changes nothing.
 */
export function freezeForMigration(processes: readonly Process[]): FrozenMigration {
  const problems: MigrationProblem[] = [];
  const refuse = (p: Process, resource: string, why: string): void => void problems.push({ process: p.label, resource, why });
  const position = new Map(processes.map((p, i) => [p, i]));
  if (position.size !== processes.length) throw new RangeError('migrate: a process is listed twice');
  const io: IO | undefined = processes[0]?.io;
  const definitions = new Map<string, DefinitionProvenance>();
  const modules: ModuleReference[] = [];
  const links: MigratedLink[] = [];
  const boundary: { process: number; port: string; input: boolean }[] = [];
  const frozen: MigratedProcess[] = [];
  let stateBytes = 0;
  for (const p of processes) {
    if (!p.inContainer) refuse(p, 'itself', 'it is no longer in its container');
    if (p.io !== io) refuse(p, 'itself', 'it lives in another IO container than the first process listed');
    if (p.def === threadWriter || p.def === threadReader) refuse(p, 'itself', 'it is the stand-in of a thread link; migrate the process it stands for');
    if (p.def.inputs.size === 0) refuse(p, 'itself', 'it is a source: it is driven where it was made, so it stays');
    const registered = registry.get(p.def.name)?.definition;
    if (registered !== undefined && registered !== p.def) {
      refuse(p, `definition '${p.def.name}'`, 'it is not the definition registered under that name, and a host resolves definitions by name');
    }
    definitions.set(p.def.name, { name: p.def.name, package: registered === p.def ? ENGINE_PACKAGE : CALLER_PACKAGE });
    const params: Record<string, MigratedParam> = {};
    for (const [key, value] of Object.entries(p.params)) {
      const resource = `parameter '${key}'`;
      if (typeof value === 'function') {
        const ref = referenceOf(value);
        if (ref !== undefined) {
          params[key] = { kind: 'module', index: modules.push(ref) - 1 };
          continue;
        }
        try {
          params[key] = { kind: 'function', source: checkPortable(value as (...args: never[]) => unknown, `${p.label} '${key}'`).source };
        } catch (e) {
          if (!(e instanceof NotPortableError)) throw e;
          refuse(p, resource, `a function that is not portable: ${e.reason} (write it without free names, or mark a module's export with byReference)`);
        }
        continue;
      }
      if (isReader(value)) {
        refuse(p, resource, `${value.path === undefined ? `a reader of ${value.name}` : `an open file reader (${value.path})`}: a local resource; snapshot mode reopens files, migration does not`);
        continue;
      }
      if (isWriter(value)) {
        refuse(p, resource, `${value.path === undefined ? `a writer to ${value.name}` : `an open file writer (${value.path})`}: a local resource; snapshot mode reopens files, migration does not`);
        continue;
      }
      const why = uncarriable(value, key);
      if (why !== undefined) {
        refuse(p, resource, `${describe(value)}, a local resource that cannot be sent (${why})`);
        continue;
      }
      params[key] = { kind: 'values', bytes: encodeValues([value]) };
    }
    const state: Record<string, unknown> = {};
    for (const name of p.def.stateNames) {
      const why = uncarriable(p.state[name], name);
      if (why === undefined) state[name] = p.state[name];
      else refuse(p, `state field '${name}'`, `${describe(p.state[name])} that cannot be sent (${why})`);
    }
    p.ports.forEach((address, n) => {
      if (address === 0) return;
      const far = p.peer(n);
      if (far === undefined) return;
      const port = p.portName(n);
      const [endedByPeer, endedByUs] = p.endState(n);
      if (endedByPeer || endedByUs) {
        refuse(p, `port '${port}'`, 'its stream has ended; a process whose streams are ending finishes where it is');
        return;
      }
      const input = p.def.isInput(n);
      const there = position.get(far.process);
      if (there === undefined) boundary.push({ process: position.get(p)!, port, input });
      // Each link between two migrating processes once, from the writing side.
      else if (!input) links.push({ from: position.get(p)!, port, to: there, farPort: far.port });
    });
    const encoded = problems.length === 0 ? encodeValues([state], `${p.label} state`) : new Uint8Array(0);
    stateBytes += encoded.length;
    const step = p.label.slice(0, p.label.lastIndexOf('#'));
    frozen.push({ name: p.def.name, ...(step === p.def.name ? {} : { step }), params, state: encoded, was: p.label });
  }
  if (problems.length > 0) throw new MigrationRefusedError(problems);
  return { headers: { definitions: [...definitions.values()], modules }, processes: frozen, links, boundary, stateBytes };
}

/** The adopt request for a frozen migration whose boundary ports go through `wires` (in boundary order). */
export function adoptRequest(request: number, frozen: FrozenMigration, wires: readonly MigratedWire[], window: number, headers = frozen.headers): AdoptRequest {
  const inputs = wires.filter((_, i) => frozen.boundary[i]!.input);
  const outputs = wires.filter((_, i) => !frozen.boundary[i]!.input);
  return { kind: 'adopt', request, headers, processes: frozen.processes, links: frozen.links, inputs, outputs, window };
}

export interface MigrateOptions {
  /**
   * Changes the resolver headers before they are sent. Only for checking a
   * host's refusals (a test pretending to be an older sender); a real sender
   * says what it has.
   */
  headers?: (headers: ResolverHeaders) => ResolverHeaders;
}

/** Where processes can go: a worker host, or this thread's own container, named by its host id (`io.host`). */
export type MigrationTarget = WorkerHost | HostId;

/** One end of a migrated group's connection to this thread: a writer stand-in into the host, or a reader out of it. */
interface BoundaryEnd {
  readonly process: number;
  readonly port: string;
  readonly wire: MigratedWire['wire'];
  readonly writer?: ThreadWriter;
  readonly reader?: ThreadReader;
}

/** Processes that went to a host together (one adopt request), and this thread's ends of their connections. */
interface AwayGroup {
  readonly host: WorkerHost;
  /** The adopt request's number: the host keeps the group under it. */
  readonly adoption: number;
  /** The processes as they were here before they went, in the order sent. */
  readonly processes: readonly Process[];
  readonly links: readonly MigratedLink[];
  readonly ends: readonly BoundaryEnd[];
  readonly labels: readonly string[];
}

/** A process that moved away, and the group it is part of there. */
const away = new WeakMap<Process, AwayGroup>();
/** A process that came back: the process that now stands for it here. */
const cameBack = new WeakMap<Process, Process>();

/** The process that stands for `p` now: `p` itself, or the one it was thawed into when it came back (as often as it did). */
function latest(p: Process): Process {
  for (let next = cameBack.get(p); next !== undefined; next = cameBack.get(p)) p = next;
  return p;
}

/**
 * Where `p` runs now: `here` (this thread; the process that stands for it,
 * which is a new object once it came back) or the worker host it went to,
 * with its label there.
 */
export function whereIs(p: Process): { readonly here: Process } | { readonly host: WorkerHost; readonly label: string } {
  const now = latest(p);
  const group = away.get(now);
  if (group === undefined) return { here: now };
  return { host: group.host, label: group.labels[group.processes.indexOf(now)]! };
}

function isHostId(target: MigrationTarget): target is HostId {
  return typeof target === 'bigint';
}

/**
 * Moves `processes` (one, or several that may be connected to each other)
 * while they run, and resumes them there with their state: to a worker host,
 * from a worker host back to this thread (`target` is this container's
 * `io.host`), or from one worker host to another. Processes that went to a
 * host together come back together: list them all. Resolves once they run
 * where they were sent; rejects with MigrationRefusedError (nothing moved),
 * or the host's refusal, such as a MissingDependenciesError listing
 * everything it lacks (everything moved back; the processes run on here).
 */
export async function migrate(processes: Process | readonly Process[], target: MigrationTarget, options: MigrateOptions = {}): Promise<Migrated> {
  const given = (Array.isArray(processes) ? (processes as readonly Process[]) : [processes as Process]).map(latest);
  if (given.length === 0) return { labels: [], stateBytes: 0 };
  const groups = [...new Set(given.map((p) => away.get(p)).filter((g) => g !== undefined))];
  for (const g of groups) {
    const left = g.processes.filter((p) => !given.includes(p));
    if (left.length > 0) {
      throw new RangeError(`migrate: ${g.processes.map((p) => p.label).join(', ')} went to host ${hostIndex(g.host.host)} together and come back together; ${left.map((p) => p.label).join(', ')} not listed`);
    }
  }
  if (!isHostId(target) && groups.length > 0 && groups.every((g) => g.host === target) && given.every((p) => away.has(p))) {
    // Already there.
    return { labels: given.map((p) => (whereIs(p) as { label: string }).label), stateBytes: 0 };
  }
  if (isHostId(target)) {
    const io = groups[0]?.ends[0]?.writer?.process.io ?? groups[0]?.ends[0]?.reader?.process.io ?? given[0]!.io;
    if (target !== io.host) {
      throw new RangeError(`migrate: host ${hostIndex(target)} is not this thread's container (host ${hostIndex(io.host)}) nor a worker host; moving to another machine is the cluster's placement`);
    }
  }
  let stateBytes = 0;
  for (const g of groups) stateBytes += await bringHome(g);
  const here = given.map(latest);
  if (isHostId(target)) return { labels: here.map((p) => p.label), stateBytes };
  const moved = await moveTo(here, target, options);
  return { labels: moved.labels, stateBytes: stateBytes + moved.stateBytes };
}

/** The forward move (the steps at the top of this module) of processes that are all here. */
async function moveTo(list: readonly Process[], host: WorkerHost, options: MigrateOptions): Promise<Migrated> {
  // Quiesce: after an await, no flow is in progress (a flow is one synchronous call).
  await Promise.resolve();
  const frozen = freezeForMigration(list);
  if (host.lost !== undefined) throw new LinkBrokenError(`cannot migrate to host ${hostIndex(host.host)}: ${host.lost}`);
  const io = list[0]!.io;
  // Rewire in the same synchronous step as the freeze: nothing runs in between.
  const ends = frozen.boundary.map(({ process, port, input }) => {
    const p = list[process]!;
    const label = `host ${hostIndex(host.host)}: ${p.label} '${port}'`;
    if (input) {
      const { wire, writer } = host.connection(io, label, 'to-worker');
      // A run that aborts ends the stand-ins too, as it would have ended the process.
      joinRunOf(writer.process, p);
      rewire(p, port, writer.process, 'in');
      return { process, port, wire, writer };
    }
    const { wire, reader } = host.connection(io, label, 'from-worker');
    joinRunOf(reader.process, p);
    rewire(p, port, reader.process, 'out');
    return { process, port, wire, reader };
  });
  const wires = ends.map(({ process, port, wire }) => ({ process, port, wire }));
  let reply;
  let adoption = 0;
  try {
    reply = await host.ask((request) => adoptRequest((adoption = request), frozen, wires, host.window, options.headers?.(frozen.headers)));
  } catch (e) {
    // The host was lost while it adopted: it may have taken records already, so
    // nothing moves back; the links break as they do when a host is lost later.
    if (e instanceof LinkBrokenError) lostWhileAdopting(list, ends, e);
    else moveBack(list, ends, e as Error);
    throw e;
  }
  if (reply.kind !== 'adopted') {
    const error = reply.kind === 'refused' && reply.missing !== undefined
      ? new MissingDependenciesError(`migration of ${list.map((p) => p.label).join(', ')} to host ${hostIndex(host.host)}`, reply.missing)
      : Object.assign(new Error(reply.kind === 'refused' ? reply.message : `unexpected reply ${reply.kind}`), { name: reply.kind === 'refused' ? reply.name : 'Error' });
    moveBack(list, ends, error);
    throw error;
  }
  // The host runs them now: the readers here grant their first credit, the old processes go.
  for (const end of ends) end.reader?.start();
  for (const p of list) p.remove();
  // A writer upstream that was refused before the move waits for "writable
  // again" from a downstream that is now on the host: it hears it here, and
  // asks the stand-in (which answers with the host's credit, or watches for it).
  for (const end of ends) if (end.writer?.process.isConnected('in')) end.writer.process.writableAgain('in');
  const group: AwayGroup = { host, adoption, processes: list, links: frozen.links, ends, labels: reply.labels };
  for (const p of list) away.set(p, group);
  return { labels: reply.labels, stateBytes: frozen.stateBytes };
}

/** The host's refusal as an error: what it lacks, what cannot go, or what it threw. */
function refusal(reply: WorkerReply, what: string, host: WorkerHost): Error {
  if (reply.kind === 'refused' && reply.missing !== undefined) return new MissingDependenciesError(`${what} to host ${hostIndex(host.host)}`, reply.missing);
  if (reply.kind === 'refused' && reply.problems !== undefined) return new MigrationRefusedError(reply.problems);
  return Object.assign(new Error(reply.kind === 'refused' ? reply.message : `unexpected reply ${reply.kind}`), { name: reply.kind === 'refused' ? reply.name : 'Error' });
}

/**
 * Brings a group home (the steps at the top of this module). Returns the bytes
 * of the states that came back. If the host refuses, everything goes on as
 * before; if it is lost, the links break as for any lost host.
 */
async function bringHome(g: AwayGroup): Promise<number> {
  const { host } = g;
  const from = `host ${hostIndex(host.host)}`;
  if (host.lost !== undefined) throw new LinkBrokenError(`cannot migrate back from ${from}: ${host.lost}`);
  const inputs = g.ends.filter((e) => e.writer !== undefined);
  const outputs = g.ends.filter((e) => e.reader !== undefined);
  const sent = await Promise.all(inputs.map((e) => e.writer!.hold()));
  // Lost meanwhile: the held writers were failed with the loss (the writers upstream end with it).
  const reply = await host.ask((request) => ({ kind: 'release', request, adoption: g.adoption, sent }));
  if (reply.kind !== 'released') {
    for (const e of inputs) e.writer!.release();
    throw refusal(reply, `migration of ${g.labels.join(', ')} back from`, host);
  }
  // What the host sent before it let go goes downstream first. A host lost
  // now took what was still in its rings with it: the readers end with the loss.
  await Promise.all(outputs.map((e, i) => e.reader!.handOver(reply.sent[i]!)));
  const io = (inputs[0]?.writer ?? outputs[0]?.reader)!.process.io;
  // One synchronous step from here: nothing flows until it is done.
  const made = g.processes.map((old, i) => {
    const state = decodeValues(reply.states[i]!)[0] as Record<string, unknown>;
    const p = new Process(io, old.def, old.params);
    const step = old.label.slice(0, old.label.lastIndexOf('#'));
    if (step !== old.def.name) p.nameStep(step);
    for (const name of old.def.stateNames) if (name in state) p.state[name] = state[name];
    return p;
  });
  for (const l of g.links) made[l.from]!.connect(l.port, made[l.to]!, l.farPort);
  for (const e of outputs) {
    const standIn = e.reader!.process;
    joinRunOf(made[e.process]!, standIn);
    if (standIn.isConnected('out')) rewire(standIn, 'out', made[e.process]!, e.port);
    e.reader!.retire();
    io.unpin(standIn);
    standIn.remove();
    // Wakes the host's writer, retired already, so that nothing waits on the ring.
    resetRing(e.wire.ring, `${e.wire.label}: handed back`);
  }
  const replays: Replay[] = [];
  inputs.forEach((e, i) => {
    const standIn = e.writer!.process;
    const p = made[e.process]!;
    joinRunOf(p, standIn);
    // Admits nothing from now on, and no loss of the host reaches it.
    e.writer!.retire();
    resetRing(e.wire.ring, `${e.wire.label}: handed back`);
    const reconnect = (down: { process: Process; port: string } | undefined): void => {
      if (down !== undefined && standIn.isConnected('in')) {
        rewire(standIn, 'in', down.process, down.port);
        down.process.writableAgain(down.port);
      }
      io.unpin(standIn);
      standIn.remove();
    };
    const held = decodeValues(reply.held[i]!)[0] as unknown[];
    if (held.length === 0) return reconnect({ process: p, port: e.port });
    const r = new Replay(io, held, reconnect);
    joinRunOf(r.process, standIn);
    r.process.connect('out', p, e.port);
    replays.push(r);
  });
  g.processes.forEach((old, i) => {
    away.delete(old);
    cameBack.set(old, made[i]!);
  });
  for (const r of replays) void r.start();
  return reply.states.reduce((n, s) => n + s.length, 0);
}

/**
 * Hands the connection on `port` of `p` to `to`'s `toPort`, in one synchronous
 * step. A disconnect and a connect, not the engine's `move`: the new
 * connection must be a new record, carried by the thread transport (a moved
 * record keeps the transport it was made with, and the JIT would fuse across
 * it). Nothing had ended on it (freezeForMigration refuses that), so no
 * end-of-stream state is lost.
 */
function rewire(p: Process, port: string, to: Process, toPort: string): void {
  const far = p.peer(port)!;
  p.disconnect(port);
  to.connect(toPort, far.process, far.port);
}

/** The host refused or was lost: the connections go back to the processes, which run on here. */
function moveBack(
  list: readonly Process[],
  ends: readonly { process: number; port: string; writer?: ThreadWriter; reader?: ThreadReader }[],
  why: Error,
): void {
  for (const { process, port, writer, reader } of ends) {
    const standIn = (writer ?? reader)!.process;
    const standInPort = writer ? 'in' : 'out';
    // Nothing went through the stand-ins: the host granted no credit and sent nothing.
    if (standIn.isConnected(standInPort)) rewire(standIn, standInPort, list[process]!, port);
    writer?.fail(why);
    writer?.nudge();
    reader?.close();
    standIn.io.unpin(standIn);
    standIn.remove();
    // A writer upstream refused by the stand-in meanwhile may write again.
    if (writer && list[process]!.isConnected(port)) list[process]!.writableAgain(port);
  }
}

/**
 * The host was lost before it said it adopted. It may have adopted, taken
 * records through the links and died with them: moving back could duplicate or
 * lose nothing only if we knew, and we do not. So the links break as for any lost
 * host: the writers here were failed with the loss (the processes upstream
 * end with it), the readers here read the reset their rings got and end their
 * streams with a LinkBrokenError, and the old processes go.
 */
function lostWhileAdopting(list: readonly Process[], ends: readonly { writer?: ThreadWriter; reader?: ThreadReader }[], why: LinkBrokenError): void {
  for (const { writer, reader } of ends) {
    writer?.fail(why);
    reader?.start();
  }
  for (const p of list) p.remove();
}

/**
 * The steps of a chain, from the one after `source` to `tail`, walking up
 * through each step's connected input: what `chain.migrate(host)` moves (the
 * source is driven where it was made and stays). `tail`'s `tailPort` must be
 * connected (to the chain's sink): a port left open on the host could not be
 * connected afterwards.
 */
export function chainSteps(source: Process, tail: Process, tailPort: string): Process[] {
  if (tail === source) throw new RangeError(`${source.label}: the chain has no steps after its source to migrate`);
  if (!tail.isConnected(tailPort)) {
    throw new RangeError(`${tail.label}: '${tailPort}' is not connected; connect the chain to its sink (collect(), toFile(), ...) before migrating it`);
  }
  const steps: Process[] = [];
  for (let p: Process | undefined = tail; p !== source; ) {
    if (p === undefined || steps.includes(p)) throw new RangeError(`${tail.label}: the chain does not lead back to its source ${source.label}`);
    steps.unshift(p);
    const at: Process = p;
    const n = at.ports.findIndex((address, i) => address !== 0 && at.def.isInput(i));
    p = n < 0 ? undefined : at.peer(n)?.process;
  }
  return steps;
}
