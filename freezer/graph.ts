// What a snapshot's body holds: every process as a record (definition, params,
// state, port connections and their end-of-stream state) and the notes that
// say what could not be saved as it was and what restore does about it.
import type { EndReason } from '../engine/ports.js';
import { decodeValues, encodeValues } from '../transport/codec.js';
import { SnapshotFileError } from './format.js';
import type { FrozenRealm } from './realms.js';

/** One parameter as saved. */
export type FrozenParam =
  /** A value the codec carries exactly. */
  | { readonly kind: 'value'; readonly value: unknown }
  /** A portable function (transport/portable.ts), saved as its source. */
  | { readonly kind: 'source'; readonly source: string }
  /** A function that is not portable: restore needs it passed again (`functions` option). */
  | { readonly kind: 'pass-again'; readonly why: string }
  /** Rehydration instruction: open this file at this offset, expecting this size and modification time. */
  | { readonly kind: 'file-reader'; readonly path: string; readonly offset: number; readonly size: number; readonly mtimeMs: number }
  /** Rehydration instruction: write this file from this offset on (what the file holds past it is cut). */
  | { readonly kind: 'file-writer'; readonly path: string; readonly offset: number }
  /** One of the engine's own sentinels (the `SKIP` of error policies), restored as the same value. */
  | { readonly kind: 'engine-symbol'; readonly name: 'skip' }
  /** A local resource a snapshot cannot reopen (a socket, stdin, a stream): its process ends with `not-restored`. */
  | { readonly kind: 'gone'; readonly what: string };

export interface FrozenPort {
  /** Our port's name (`out`, `in[2]`). */
  readonly port: string;
  /** The object index of the process on the far end. */
  readonly far: number;
  readonly farPort: string;
  /** Present (true) only when set: most ports have not ended, and every key costs bytes per port. */
  readonly endedByPeer?: true;
  readonly endedByUs?: true;
  /** Why, when a stream ended uncleanly. */
  readonly peerReason?: EndReason;
  readonly ourReason?: EndReason;
}

export interface FrozenProcess {
  /** The object index (the process keeps its id, and so its label, across a restore). */
  readonly index: number;
  readonly definition: string;
  /** The step's name in messages, when it differs from the definition's. */
  readonly step?: string;
  readonly params: Readonly<Record<string, FrozenParam>>;
  /** The state fields the codec carries. */
  readonly state: Readonly<Record<string, unknown>>;
  /** State fields it does not (a pending promise, a device handle): restore starts them from their initial value. */
  readonly reinitialised?: readonly string[];
  readonly ports: readonly FrozenPort[];
  readonly fault?: EndReason;
  readonly pinned?: true;
  /** The realm it lives in, as child positions from the container's realm; absent: the container's realm. */
  readonly realm?: readonly number[];
}

/** Something the snapshot could not save as it was, and what restore does about it. */
export interface SnapshotNote {
  /** The process, by label (`map#3`). */
  readonly process: string;
  readonly what: string;
  readonly restore: string;
}

export interface FrozenGraph {
  readonly processes: readonly FrozenProcess[];
  readonly notes: readonly SnapshotNote[];
  /** The realm tree under the container's realm (realms.ts). */
  readonly realms?: FrozenRealm;
}

export function encodeGraph(graph: FrozenGraph): Uint8Array {
  return encodeValues([graph], 'snapshot');
}

export function decodeGraph(bytes: Uint8Array, file: string): FrozenGraph {
  let graph: FrozenGraph;
  try {
    graph = decodeValues(bytes)[0] as FrozenGraph;
  } catch (e) {
    throw new SnapshotFileError(file, `corrupt body: ${(e as Error).message}`, { cause: e });
  }
  if (graph === null || typeof graph !== 'object' || !Array.isArray(graph.processes) || !Array.isArray(graph.notes)) {
    throw new SnapshotFileError(file, 'corrupt body: it does not hold a graph of processes');
  }
  return graph;
}
