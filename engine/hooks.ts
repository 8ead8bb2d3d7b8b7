// Where the engine meets the subsystems beside and above it. The engine imports
// neither the JIT (jit/, above it) nor the realms (realm/, beside it): each of
// them installs its part here when its module loads, and the engine calls
// through these hooks. A hook nobody installed costs one test of `undefined`.
import type { Elements, Flowable } from './flowable.js';
import type { IO } from './io.js';
import type { Process } from './process.js';

/**
 * The types the subsystems declare for the engine's public members: realm/engine.ts
 * adds `realm: Realm` and jit/entries.ts adds `entry: Entry`, by declaration
 * merging. The engine never looks inside either; it only hands them on.
 */
export interface Subsystems {} // eslint-disable-line @typescript-eslint/no-empty-object-type

/** A realm, as realm/realm.ts defines it. */
export type Realm = Subsystems extends { realm: infer R } ? R : unknown;

/** A compiled entry, as jit/entry.ts defines it. */
export type CompiledEntry = Subsystems extends { entry: infer E } ? E : unknown;

export type EntryKind = 'admittance' | 'flow';

// ---------------------------------------------------------------- realms

/** What the realm subsystem provides to the engine (installed by realm/engine.ts). */
export interface RealmHooks {
  /** The root realm of a new container: `given`, or a World of its own. */
  root(io: IO, given: Realm | undefined): Realm;
  /** Puts a process in a realm of its container's World. */
  place(process: Process, realm: Realm): void;
  /** The realm a process lives in. */
  of(process: Process): Realm;
}

let realms: RealmHooks | undefined;

export function installRealms(hooks: RealmHooks): void {
  realms = hooks;
}

/** The realm hooks; a clear error when the realm subsystem was never loaded. */
export function realmHooks(): RealmHooks {
  if (realms === undefined) throw new Error('realms are not loaded: import the package entry (or realm/engine.js) first');
  return realms;
}

/**
 * Hooks the engine calls on paths that must stay cheap when nobody listens:
 * each is undefined until a subsystem needs it.
 */
export const engineHooks: {
  /** `process` ended its stream on port number `port` (realm/placement.ts listens). */
  ended: ((process: Process, port: number) => void) | undefined;
  /**
   * The connection on `port` of `process` changed (connect, disconnect, move,
   * a peer vanished, a range member ended), or with no port, all of them: the
   * JIT marks stale exactly the entries that followed it (jit/entries.ts).
   */
  topologyChanged: ((process: Process, port?: number) => void) | undefined;
  /** `process` left its container by `remove` (every port disconnected first): the JIT lets go of its entries. */
  removed: ((process: Process) => void) | undefined;
} = { ended: undefined, topologyChanged: undefined, removed: undefined };

// ---------------------------------------------------------------- negotiated IO

/** What the JIT provides to the engine (installed by jit/entries.ts). */
export interface NegotiationHooks {
  /** The compiled entry for (process, spec, kind). */
  entry(process: Process, spec: string, kind: EntryKind): CompiledEntry;
  /** How much of `flowable` could move through `spec` now. */
  admittance<X extends Elements>(process: Process, spec: string, flowable: Flowable<X>): Flowable<X>;
  /** Commits `admitted` through `spec`; returns how much moved. */
  flow<X extends Elements>(process: Process, spec: string, admitted: Flowable<X>): number;
  /** How much `process` could write through its port `port` now (its far end's admittance for `n`). */
  writable(process: Process, port: number, n: number): number;
  /** The entries `process` holds or keeps alive. */
  compiledEntries(process: Process): CompiledEntry[];
}

let negotiation: NegotiationHooks | undefined;

export function installNegotiation(hooks: NegotiationHooks): void {
  negotiation = hooks;
}

/** The negotiated-IO hooks; a clear error when the JIT was never loaded. */
export function negotiationHooks(): NegotiationHooks {
  if (negotiation === undefined) throw new Error('the JIT is not loaded: import the package entry (or jit/entries.js) first');
  return negotiation;
}
