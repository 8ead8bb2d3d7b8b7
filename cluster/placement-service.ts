// The placing host's side of `chain.on(host)` (docs/cluster.md, "Joining
// through the IO container, and placing a chain on another host"): every host
// that joined through its IO answers placement requests on a subject of its
// own (placement-messages.ts). A request names per-element steps (registered
// processes with portable parameters) and two cross-host connections; the host
//
//   1. checks the resolver headers (transport/dependencies.ts): every
//      definition with the package@version that provides it, every module
//      reference; it refuses with the whole list of what it lacks;
//   2. unpacks the parameters, checking every function's text again
//      (transport/portable-params.ts): it does not trust the sender's check;
//   3. only then builds: reader stand-in -> steps -> writer stand-in, in its
//      own IO, where the JIT fuses the steps into one chain.
//
// Nothing is made before everything was checked, so a refusal leaves the host
// as it was. Both stand-ins watch the asking host: when membership reports it
// lost, the placed chain ends with `host-lost` and its connections stop.
//
// The accept path is acceptChain: any line of registered processes, with
// packed parameters or module references, and optionally the state each had
// where it ran before; acceptPlacement is a placement request's steps given to
// it. A module that brings a frozen process set builds it through the same
// checks.
//
// A step's function that throws ends the output connection with an error
// naming the step and this host (the asking host's run fails with it) and
// half-closes the input, so the asking host stops sending.
import type { IO } from '../engine/io.js';
import { errorEnd } from '../engine/ports.js';
import { Process } from '../engine/process.js';
import { registry } from '../processes/registry.js';
import { checkDependencies, ENGINE_PACKAGE, type HostCapabilities, type ResolverHeaders } from '../transport/dependencies.js';
import { MissingDependenciesError } from '../transport/modules.js';
import type { MigratedParam } from '../transport/adopt.js';
import { decodeValues } from '../transport/codec.js';
import { unpackParams, type PackedParam } from '../transport/portable-params.js';
import type { Subscription } from '@nats-io/transport-node';
import { describe } from '../engine/policy.js';
import { catching } from '../transport/caught.js';
import { JetStreamReader, JetStreamWriter } from './jetstream-link.js';
import type { ClusterHost } from './membership.js';
import {
  decodeHostRequest,
  encodePlacement,
  placementSubject,
  type PlacementReply,
  type PlacementRequest,
} from './placement-messages.js';

export interface PlacementServiceOptions {
  /** What this host has (default: its registry, this engine's package, module references from the working folder). */
  capabilities?: HostCapabilities;
  /** Told about requests that do not decode and about steps that failed after they were accepted. */
  onError?: (error: Error) => void;
}

/** A step's function threw on the placing host: its message names the step and the host. */
export class PlacedStepError extends Error {
  override name = 'PlacedStepError';
}

/** What a placement made: the processes' labels here, and when the output's end of stream is stored. */
export interface Placed {
  readonly labels: readonly string[];
  readonly finished: Promise<void>;
}

/** This host's registry, this engine's package, module references resolved from the working folder. */
export function hostCapabilities(root = process.cwd()): HostCapabilities {
  return { has: (name) => registry.has(name), engine: ENGINE_PACKAGE, root };
}

/**
 * One process to build on the placing host: a registered definition by name,
 * its parameters (packed as placement packs them, or module references by
 * their position in the headers' modules), and, for a frozen process, the
 * state it had where it ran before. A placed chain's steps are such processes
 * without state; a migrated chain's are the same with state.
 */
export interface PlacedProcess {
  /** The registered definition's name. */
  readonly name: string;
  /** The step's name in messages (`filter` for grep). */
  readonly step: string;
  readonly params: Readonly<Record<string, MigratedParam>>;
  /** Its state record through the value codec; without it the process starts from its definition's initial state. */
  readonly state?: Uint8Array;
}

/** Build these processes, in chain order, between connection `input` and connection `output`, for host `from`. */
export interface PlacementOrder {
  /** The asking host's index: the chain ends with `host-lost` when it is lost. */
  readonly from: number;
  readonly headers: ResolverHeaders;
  readonly processes: readonly PlacedProcess[];
  /** The connection the first process reads. */
  readonly input: string;
  /** The connection the last process writes. */
  readonly output: string;
  /** Outputs published and not yet stored, at most (see PlacementRequest.chunk). */
  readonly chunk: number;
}

/**
 * The accept path of a placement request: `request.stages` built between its
 * two connections (see acceptChain).
 */
export function acceptPlacement(io: IO, membership: ClusterHost, request: PlacementRequest, options: PlacementServiceOptions = {}): Promise<Placed> {
  return acceptChain(io, membership, { ...request, processes: request.stages }, options);
}

/**
 * Checks `order` against this host, then builds its processes in `io`, in a
 * line between connection `input` and connection `output`, both watched
 * against the loss of host `from`. Throws before anything is made:
 * MissingDependenciesError listing everything this host lacks (definitions,
 * versions, modules), the portability check's NotPortableError naming the
 * function and the step, or the codec's error for a state that does not decode.
 */
export async function acceptChain(io: IO, membership: ClusterHost, order: PlacementOrder, options: PlacementServiceOptions = {}): Promise<Placed> {
  const here = membership.index;
  const steps = order.processes.map((s) => s.step).join(', ') || 'no steps';
  const what = `placement of ${steps} from host ${order.from} on host ${here}`;
  const capabilities = options.capabilities ?? hostCapabilities();
  const modules = await checkHeaders(order.headers, order.processes, capabilities, what);

  let failed = false;
  let fail: (error: Error) => void = () => undefined;
  const onStepError = (error: Error): void => {
    if (failed) return;
    failed = true;
    fail(error);
  };
  const built = order.processes.map((placed) => {
    const where = `${placed.step} on host ${here}`;
    const packed: Record<string, PackedParam> = {};
    const params: Record<string, unknown> = {};
    for (const [key, param] of Object.entries(placed.params)) {
      if (param.kind === 'module') {
        const f = modules[param.index];
        if (f === undefined) throw new RangeError(`${where}: parameter '${key}' names module reference ${param.index}, which the headers do not have`);
        params[key] = f;
      } else {
        packed[key] = param;
      }
    }
    Object.assign(params, unpackParams(packed, placed.name, where));
    for (const [key, f] of Object.entries(params)) {
      // flatMap's function must give something iterable even after a failure: the flow goes on to the end of its chunk.
      if (typeof f === 'function') params[key] = guarded(f as (...args: unknown[]) => unknown, where, onStepError, placed.name === 'flatMap' ? [] : undefined);
    }
    const state = placed.state === undefined ? undefined : (decodeValues(placed.state)[0] as Record<string, unknown>);
    return { definition: registry.get(placed.name)!.definition, params, state, placed };
  });

  // Everything checked: from here on nothing refuses for what was asked.
  const far = { membership, index: order.from };
  const reader = await JetStreamReader.open(io, membership.connection, order.input, {
    farHost: far,
    onError: (error) => options.onError?.(error instanceof Error ? error : new Error(String(error))),
  });
  let writer: JetStreamWriter;
  try {
    writer = await JetStreamWriter.open(io, membership.connection, order.output, { farHost: far, windowRecords: Math.min(order.chunk, 65_536) });
  } catch (error) {
    reader.close();
    throw error;
  }
  fail = (error) => {
    options.onError?.(error);
    // The error goes out after the outputs before it; what follows the failure in its chunk is dropped.
    writer.sendEnd(errorEnd(error));
    // After the flow under way, not inside it: the reader stops and the asking host stops sending.
    queueMicrotask(() => reader.close());
  };
  let tail: Process = reader.process;
  const made: Process[] = [];
  for (const { definition, params, state, placed } of built) {
    const p = new Process(io, definition, params);
    if (placed.step !== placed.name) p.nameStep(placed.step);
    if (state !== undefined) for (const name of definition.stateNames) if (name in state) p.state[name] = state[name];
    tail.connect('out', p, 'in');
    made.push(p);
    tail = p;
  }
  tail.connect('out', writer.process, 'in');
  reader.start();
  const finished = writer.finished.then(() => {
    io.unpin(reader.process);
    io.unpin(writer.process);
  });
  return { labels: made.map((p) => p.label), finished };
}

/**
 * Every definition the headers or the processes name, and every module
 * reference, checked at once; throws with the whole list. Returns the module
 * references' functions, in order.
 */
async function checkHeaders(
  headers: ResolverHeaders,
  processes: readonly PlacedProcess[],
  capabilities: HostCapabilities,
  what: string,
): Promise<((...args: unknown[]) => unknown)[]> {
  const missing: string[] = [];
  let modules: ((...args: unknown[]) => unknown)[] = [];
  try {
    modules = await checkDependencies(headers, capabilities, what);
  } catch (error) {
    if (!(error instanceof MissingDependenciesError)) throw error;
    missing.push(...error.missing);
  }
  const listed = new Set(headers.definitions.map((d) => d.name));
  for (const p of processes) {
    if (!listed.has(p.name)) missing.push(`definition '${p.name}' (step ${p.step}) is not in the request's resolver headers`);
    else if (!registry.has(p.name) && !missing.some((m) => m.includes(`'${p.name}'`))) {
      missing.push(`definition '${p.name}' is not registered on this host`);
    }
  }
  if (missing.length > 0) throw new MissingDependenciesError(what, missing);
  return modules;
}

/**
 * The user's function; a throw is reported once (onStepError) and the flow
 * gets `fallback` instead of the throw, so that the fused chain finishes its
 * chunk without leaving half-committed state.
 */
function guarded(f: (...args: unknown[]) => unknown, where: string, onStepError: (error: Error) => void, fallback: unknown): (...args: unknown[]) => unknown {
  return catching(f, (e) => {
    onStepError(new PlacedStepError(`${where}: ${describe(e)}`, { cause: e }));
    return fallback;
  });
}

/** A host's placement service: answers on `subject` until stopped. */
export interface PlacementService {
  readonly subject: string;
  /** Placements accepted so far, for tests and tools. */
  readonly accepted: number;
  /** Placements whose output has not ended yet (ended, failed, or its asking host lost). */
  readonly active: number;
  /** Stops answering; what was placed goes on. */
  stop(): void;
}

/** Answers placement requests addressed to `membership`'s host, building what is accepted in `io`. */
export async function servePlacement(io: IO, membership: ClusterHost, options: PlacementServiceOptions = {}): Promise<PlacementService> {
  const subject = placementSubject(membership.bucket, membership.index);
  let accepted = 0;
  let active = 0;
  const answer = async (data: Uint8Array, respond: (bytes: Uint8Array) => void): Promise<void> => {
    let reply: PlacementReply;
    try {
      const request = decodeHostRequest(data);
      // A migration brings processes with their state: the same accept path, the same checks.
      const placed = request.kind === 'migrate' ? await acceptChain(io, membership, request, options) : await acceptPlacement(io, membership, request, options);
      accepted++;
      active++;
      void placed.finished.finally(() => active--);
      reply = { kind: 'accepted', host: membership.index, labels: placed.labels };
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      if (!(error instanceof MissingDependenciesError)) options.onError?.(error);
      const missing = error instanceof MissingDependenciesError ? { missing: error.missing } : {};
      reply = { kind: 'refused', host: membership.index, name: error.name, message: error.message, ...missing };
    }
    respond(encodePlacement(reply));
  };
  const subscription: Subscription = membership.connection.subscribe(subject, {
    callback: (error, msg) => {
      if (error !== null) return;
      void answer(msg.data, (bytes) => msg.respond(bytes)).catch((e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e))));
    },
  });
  // The subscription has reached the server: a request sent from now on finds it.
  await membership.connection.flush();
  return {
    subject,
    get accepted() {
      return accepted;
    },
    get active() {
      return active;
    },
    stop: () => subscription.unsubscribe(),
  };
}
