// Restoring a snapshot: check everything, then rebuild the graph, then resume.
//
// Every check comes before the first process is made, so a snapshot that
// cannot be restored is refused whole: a damaged file, a definition or a
// function this caller does not supply. Files are checked too, but a missing
// or changed file refuses nothing: the process that held it ends its streams
// with an error naming the file, and everything else resumes.
import { IO, type IOOptions } from '../engine/io.js';
import { define, type Definition } from '../engine/definition.js';
import { resetEnd } from '../engine/ports.js';
import { Process } from '../engine/process.js';
import { SKIP } from '../engine/policy.js';
import { Run } from '../engine/run.js';
import type { Reader } from '../processes/sources/readers.js';
import type { Writer } from '../processes/sinks/writers.js';
import { NotRestoredError, rehydrateReader, rehydrateWriter, type PendingWriter } from './devices.js';
import { builtinDefinition } from './definitions.js';
import { readSnapshotFile, type SnapshotHeader } from './format.js';
import { functionKey, reviveFunction } from './functions.js';
import { decodeGraph, type FrozenGraph, type FrozenParam, type FrozenProcess, type SnapshotNote } from './graph.js';
import { reattach, resume } from './resume.js';
import { placeAt, restoreRealms, reviveRealmFunctions, type RevivedFunctions } from './realms.js';
import type { Realm } from '../realm/realm.js';
import { input } from '../processes/sources/input.js';
import { output } from '../processes/sinks/output.js';

export interface RestoreOptions {
  /** Functions that were not portable, passed again by `label.param` (`{ 'map#3.f': f }`). */
  functions?: Readonly<Record<string, (...args: never[]) => unknown>>;
  /**
   * Replacements for local resources the snapshot could not save (`gone`: a
   * stream, a socket, an object with methods), by `label.param`. A process
   * whose resource is replaced runs with it instead of ending with not-restored.
   */
  resources?: Readonly<Record<string, unknown>>;
  /** Definitions the caller made (built-in ones are found by name). */
  definitions?: readonly Definition[];
  /** Options of the new container (host, fuse, strict). */
  io?: IOOptions;
  /** How the new container is made (the user's IO makes one of its own class). */
  container?: (options?: IOOptions) => IO;
}

/** A snapshot this caller cannot restore: what is missing, all at once. */
export class RestoreError extends Error {
  override name = 'RestoreError';
  constructor(readonly file: string, readonly missing: readonly string[]) {
    super(`cannot restore snapshot ${file}; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  }
}

/** A restored graph: its container, its processes by label, and its runs. */
export class Restored {
  constructor(
    readonly io: IO,
    readonly header: SnapshotHeader,
    /** Every restored process by label (`map#3`); holding this keeps them alive. */
    readonly processes: ReadonlyMap<string, Process>,
    readonly notes: readonly SnapshotNote[],
    /** Handles that could not be reopened, by label, with why. */
    readonly failed: ReadonlyMap<string, NotRestoredError>,
  ) {}

  process(label: string): Process {
    const p = this.processes.get(label);
    if (p === undefined) throw new RangeError(`no process ${label} in the restored graph (there are: ${[...this.processes.keys()].join(', ')})`);
    return p;
  }

  /**
   * The sinks (processes with connected inputs and no connected output), each
   * driven to its end as `completion()` does: sources are driven again, and
   * the promise settles when every sink has finished (rejected with the first
   * error, such as a file that could not be reopened).
   */
  completion(): Promise<unknown[]> {
    const sinks = [...this.processes.values()].filter(isSink);
    return Promise.all(sinks.map((s) => Run.of(s, () => s.state).start()));
  }
}

function isSink(p: Process): boolean {
  let fed = false;
  for (let n = 0; n < p.ports.length; n++) {
    if (!p.isConnected(n)) continue;
    if (!p.def.isInput(n)) return false;
    fed = true;
  }
  return fed;
}

/** Holds an object id while the processes are made in index order, so each keeps its id. */
const vacant = define('vacant', { ports: [] });

type Revived = { params: Record<string, unknown>; failure?: NotRestoredError };

export async function restore(file: string, options: RestoreOptions = {}): Promise<Restored> {
  const { header, body } = await readSnapshotFile(file);
  const graph = decodeGraph(body, file);
  const definitions = resolveDefinitions(file, graph, options);
  const revived = await reviveParams(file, graph, options);
  // The realms' subscriptions and handlers are checked before anything is rebuilt, too.
  const realmFunctions = graph.realms === undefined ? undefined : reviveRealmFunctions(graph.realms);
  if (realmFunctions !== undefined && realmFunctions.problems.length > 0) throw new RestoreError(file, realmFunctions.problems);
  return rebuild(header, graph, definitions, revived, options, realmFunctions?.made);
}

function resolveDefinitions(file: string, graph: FrozenGraph, options: RestoreOptions): Map<string, Definition> {
  const given = new Map((options.definitions ?? []).map((d) => [d.name, d]));
  const found = new Map<string, Definition>();
  const missing: string[] = [];
  for (const record of graph.processes) {
    if (found.has(record.definition)) continue;
    const def = given.get(record.definition) ?? builtinDefinition(record.definition);
    if (def === undefined) missing.push(`definition '${record.definition}' (a definition of the caller's: pass it as definitions: [${record.definition}])`);
    else found.set(record.definition, def);
  }
  for (const record of graph.processes) {
    const def = found.get(record.definition);
    if (def === undefined) continue;
    const unknown = [...Object.keys(record.state), ...(record.reinitialised ?? [])].filter((s) => !def.stateNames.includes(s));
    const absent = def.params.filter((p) => !(p in record.params));
    // Each connection is in the records of both its ends: checking our own port names checks both.
    const ports = record.ports.map((port) => port.port).filter((name) => !hasPort(def, name));
    if (unknown.length > 0 || absent.length > 0 || ports.length > 0) {
      const had = unknown.length > 0 ? `state ${unknown.join(', ')}` : absent.length > 0 ? `no parameter ${absent.join(', ')}` : `port ${ports.join(', ')}`;
      missing.push(`definition '${record.definition}' as it was: ${labelOf(record)} had ${had}, which this one does not`);
    }
  }
  if (missing.length > 0) throw new RestoreError(file, [...new Set(missing)]);
  return found;
}

function hasPort(def: Definition, name: string): boolean {
  try {
    def.portNumber(name);
    return true;
  } catch {
    return false;
  }
}

function labelOf(record: FrozenProcess): string {
  return `${record.step ?? record.definition.split('/')[0]}#${record.index}`;
}

async function reviveParams(file: string, graph: FrozenGraph, options: RestoreOptions): Promise<Map<number, Revived>> {
  const out = new Map<number, Revived>();
  const missing: string[] = [];
  const made = new Map<string, (...args: never[]) => unknown>();
  for (const record of graph.processes) {
    const label = labelOf(record);
    const params: Record<string, unknown> = {};
    let failure: NotRestoredError | undefined;
    for (const [name, param] of Object.entries(record.params)) {
      const value = await reviveParam(record, label, name, param, options, missing, made);
      if (value instanceof NotRestoredError) failure ??= value;
      params[name] = value;
    }
    out.set(record.index, { params, failure });
  }
  if (missing.length > 0) throw new RestoreError(file, missing);
  return out;
}

async function reviveParam(record: FrozenProcess, label: string, name: string, param: FrozenParam, options: RestoreOptions, missing: string[], made: Map<string, (...args: never[]) => unknown>): Promise<unknown> {
  switch (param.kind) {
    case 'value':
      return param.value;
    case 'source':
      try {
        return reviveFunction(param.source, record.index, name, label, made);
      } catch (e) {
        missing.push(`${label} '${name}': its saved source cannot be used: ${(e as Error).message}`);
        return undefined;
      }
    case 'pass-again': {
      const key = functionKey(label, name);
      const f = options.functions?.[key];
      if (typeof f !== 'function') missing.push(`function '${key}' (not portable: ${param.why}); pass it as functions: { '${key}': f }`);
      return f;
    }
    case 'file-reader':
      return rehydrateReader(param);
    case 'file-writer': {
      const pending = await rehydrateWriter(param);
      return pending instanceof NotRestoredError ? pending : new Opening(pending);
    }
    case 'engine-symbol':
      return SKIP;
    case 'gone':
      if (options.resources !== undefined && functionKey(label, name) in options.resources) return options.resources[functionKey(label, name)];
      return new NotRestoredError(`${label}: ${param.what} was a local resource a snapshot cannot reopen`);
    default:
      missing.push(`${label} '${name}': a parameter of an unknown kind`);
      return undefined;
  }
}

/** A writer to open once every check has passed (opening it cuts its file). */
class Opening {
  constructor(readonly writer: PendingWriter) {}
}

/** A reader or writer that fails with `error` when used: its process ends its streams with that error. */
function failingDevice(error: NotRestoredError): Reader & Writer {
  return {
    bytes: true,
    name: error.message,
    async read() {
      throw error;
    },
    async close() {},
    write(_chunk: unknown, done: (e?: Error | null) => void) {
      done(error);
    },
    end(done: (e?: Error | null) => void) {
      done(error);
    },
    onError() {},
  };
}

function rebuild(header: SnapshotHeader, graph: FrozenGraph, definitions: Map<string, Definition>, revived: Map<number, Revived>, options: RestoreOptions, realmFunctions?: RevivedFunctions): Restored {
  const io = options.container ? options.container(options.io) : new IO(options.io);
  const realms = graph.realms === undefined ? new Map<string, Realm>() : restoreRealms(graph.realms, io.realm, realmFunctions);
  const byIndex = new Map<number, Process>();
  const fillers: Process[] = [];
  const failed = new Map<string, NotRestoredError>();
  const standIns: Process[] = [];
  const records = [...graph.processes].sort((a, b) => a.index - b.index);
  let next = 1;
  for (const record of records) {
    while (next < record.index) {
      fillers.push(new Process(io, vacant));
      next++;
    }
    const def = definitions.get(record.definition)!;
    const { params, failure } = revived.get(record.index)!;
    if (failure !== undefined) {
      // A device that could not be reopened: a reader or writer that fails
      // with why, so the process ends its streams with the error when it runs.
      for (const [name, value] of Object.entries(params)) if (value instanceof NotRestoredError) params[name] = failingDevice(value);
    }
    for (const [name, value] of Object.entries(params)) if (value instanceof Opening) params[name] = value.writer.open();
    const p = new Process(io, def, params);
    if (record.step !== undefined) p.nameStep(record.step);
    placeAt(p, record.realm, realms);
    byIndex.set(record.index, p);
    next = record.index + 1;
    if (failure !== undefined) {
      failed.set(p.label, failure);
      // An input or output fails its run with the error when it runs; any other process ends its streams now.
      if (def !== input && def !== output) standIns.push(p);
    }
  }
  for (const f of fillers) io.remove(f);
  // Each connection once, from its lower end.
  for (const record of records) {
    const p = byIndex.get(record.index)!;
    for (const port of record.ports) {
      const far = byIndex.get(port.far);
      if (far === undefined) continue;
      if (port.far < record.index || (port.far === record.index && port.farPort < port.port)) continue;
      p.connect(port.port, far, port.farPort);
    }
  }
  for (const record of records) {
    const p = byIndex.get(record.index)!;
    for (const [name, value] of Object.entries(record.state)) p.state[name] = value;
    for (const port of record.ports) {
      if (!p.isConnected(port.port)) continue;
      p.setEndState(p.portNumber(port.port), port.endedByPeer === true, port.endedByUs === true, [port.peerReason, port.ourReason]);
    }
    if (record.fault !== undefined) p.fault = record.fault;
    if (record.pinned) io.pin(p);
  }
  for (const p of byIndex.values()) reattach(p);
  for (const p of byIndex.values()) resume(p);
  // What could not be reopened ends its streams, as a cut connection, with why.
  for (const p of standIns) {
    const why = resetEnd(failed.get(p.label));
    for (let n = 0; n < p.ports.length; n++) if (p.isConnected(n)) p.end(n, why);
  }
  const processes = new Map([...byIndex.values()].map((p) => [p.label, p]));
  return new Restored(io, header, processes, graph.notes, failed);
}
