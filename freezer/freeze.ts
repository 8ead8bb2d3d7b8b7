// Freezing: every live process of a container as a record (see graph.ts), in
// permissive snapshot mode. What the codec carries is saved as it is;
// functions are saved when portable; files become rehydration instructions;
// anything else local is recorded as gone. Nothing here refuses: what cannot
// be saved as it was is a note saying what restore will do instead.
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { SKIP } from '../engine/policy.js';
import { checkCarriable, UncarriableValueError } from '../transport/codec.js';
import { input } from '../processes/sources/input.js';
import { output } from '../processes/sinks/output.js';
import { freezeReader, freezeWriter, isReader, isWriter } from './devices.js';
import { builtinKey } from './definitions.js';
import { freezeFunction, functionKey, MAKE_PORTABLE } from './functions.js';
import type { FrozenGraph, FrozenParam, FrozenPort, FrozenProcess, SnapshotNote } from './graph.js';
import type { DefinitionProvenance } from './format.js';
import { CALLER_PACKAGE, ENGINE_PACKAGE } from './provenance.js';
import { freezeRealms } from './realms.js';
import type { Realm } from '../realm/realm.js';

function isCarriable(value: unknown, path: string): boolean {
  try {
    checkCarriable(value, path);
    return true;
  } catch (e) {
    if (e instanceof UncarriableValueError) return false;
    throw e;
  }
}

function freezeParam(p: Process, name: string, value: unknown, notes: SnapshotNote[], seen: Map<string, FrozenParam>): FrozenParam {
  if (typeof value === 'function') {
    const frozen = freezeFunction(value as (...args: never[]) => unknown, p.label, name, seen);
    if (frozen.kind === 'pass-again') {
      notes.push({
        process: p.label,
        what: `its parameter '${name}' is a function that is not portable: ${frozen.why}`,
        restore: `needs it passed again as functions['${functionKey(p.label, name)}']; to make it portable, ${MAKE_PORTABLE.replace('KEY', `'${functionKey(p.label, name)}'`)}`,
      });
    }
    return frozen;
  }
  // The positions come from the process's state (see devices.ts).
  if (p.def === input && isReader(value)) return device(p, freezeReader(value, p.state.read as number), notes);
  if (p.def === output && isWriter(value)) return device(p, freezeWriter(value, p.state.written as number), notes);
  if (value === SKIP) return { kind: 'engine-symbol', name: 'skip' };
  if (isCarriable(value, name)) return { kind: 'value', value };
  const what = `its parameter '${name}' (${describe(value)})`;
  notes.push({ process: p.label, what: `${what} is a local resource a snapshot cannot reopen`, restore: 'ends its streams with the reason not-restored' });
  return { kind: 'gone', what };
}

function device(p: Process, frozen: FrozenParam, notes: SnapshotNote[]): FrozenParam {
  if (frozen.kind === 'gone') {
    notes.push({ process: p.label, what: `${frozen.what} is not a file, so a snapshot cannot reopen it`, restore: 'ends its streams with the reason not-restored' });
  }
  return frozen;
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name ? `an instance of ${name}` : 'an object';
}

function freezePorts(p: Process, saved: ReadonlySet<Process>, notes: SnapshotNote[]): FrozenPort[] {
  const out: FrozenPort[] = [];
  p.ports.forEach((address, n) => {
    if (address === 0) return;
    const far = p.peer(n);
    if (far === undefined) return;
    if (!saved.has(far.process)) {
      // A realm snapshot: the far end lives outside the realm.
      notes.push({ process: p.label, what: `its port '${p.portName(n)}' is connected to ${far.process.label}, outside the snapshot's realm`, restore: 'leaves the port unconnected' });
      return;
    }
    const [endedByPeer, endedByUs] = p.endState(n);
    const [peerReason, ourReason] = p.unusualEnds(n);
    out.push({
      port: p.portName(n),
      far: indexOf(far.process),
      farPort: far.port,
      ...(endedByPeer ? { endedByPeer } : {}),
      ...(endedByUs ? { endedByUs } : {}),
      ...(peerReason === undefined ? {} : { peerReason }),
      ...(ourReason === undefined ? {} : { ourReason }),
    });
  });
  return out;
}

function indexOf(p: Process): number {
  return Number(p.label.slice(p.label.lastIndexOf('#') + 1));
}

function freezeProcess(p: Process, notes: SnapshotNote[], seen: Map<string, FrozenParam>, paths: Map<Realm, number[]>, saved: ReadonlySet<Process>): FrozenProcess {
  const params: Record<string, FrozenParam> = {};
  for (const name of Object.keys(p.params)) params[name] = freezeParam(p, name, p.params[name], notes, seen);
  const state: Record<string, unknown> = {};
  const reinitialised: string[] = [];
  for (const name of p.def.stateNames) {
    const value = p.state[name];
    if (isCarriable(value, name)) state[name] = value;
    else reinitialised.push(name);
  }
  const realm = paths.get(p.realm);
  if (realm === undefined) {
    notes.push({ process: p.label, what: `it lives in realm ${p.realm.label}, outside its container's realm tree`, restore: "places it in the new container's realm" });
  }
  const step = p.label.slice(0, p.label.lastIndexOf('#'));
  const fault = p.fault !== undefined && isCarriable(p.fault, 'fault') ? p.fault : undefined;
  return {
    index: indexOf(p),
    definition: builtinKey(p.def) ?? p.def.name,
    ...(step === p.def.name ? {} : { step }),
    params,
    state,
    ...(reinitialised.length === 0 ? {} : { reinitialised }),
    ports: freezePorts(p, saved, notes),
    ...(fault === undefined ? {} : { fault }),
    ...(p.io.isPinned(p) ? { pinned: true as const } : {}),
    ...(realm === undefined || realm.length === 0 ? {} : { realm }),
  };
}

export interface Frozen {
  readonly graph: FrozenGraph;
  readonly definitions: DefinitionProvenance[];
}

/**
 * Freezes every live process of `io`, in object-index order, or, given
 * `realm`, the processes that live in it or in a realm under it (with that
 * realm's subtree). Call it only when `io` is quiet (quiesce.ts).
 */
export function freeze(io: IO, realm?: Realm): Frozen {
  const notes: SnapshotNote[] = [];
  const seen = new Map<string, FrozenParam>();
  const live = [...io.processes()];
  const { tree, paths } = freezeRealms(io, live, notes, realm);
  const saved = realm === undefined ? live : live.filter((p) => paths.has(p.realm));
  const savedSet = new Set(saved);
  const processes = saved.map((p) => freezeProcess(p, notes, seen, paths, savedSet)).sort((a, b) => a.index - b.index);
  const packages = new Map<string, string>();
  for (const p of saved) packages.set(builtinKey(p.def) ?? p.def.name, builtinKey(p.def) === undefined ? CALLER_PACKAGE : ENGINE_PACKAGE);
  const definitions = [...packages].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, from]) => ({ name, package: from }));
  return { graph: { processes, notes, realms: tree }, definitions };
}
