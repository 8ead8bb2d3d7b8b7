// io.snapshot(file): freeze the container once it is quiet and write the file.
import type { IO } from '../engine/io.js';
import type { Realm } from '../realm/realm.js';
import { encodeSnapshot, writeSnapshotFile, type SnapshotHeader } from './format.js';
import { freeze } from './freeze.js';
import { encodeGraph, type SnapshotNote } from './graph.js';
import { ENGINE_PACKAGE } from './provenance.js';
import { whenQuiet } from './quiesce.js';

export interface SnapshotReport {
  readonly file: string;
  readonly processes: number;
  readonly bytes: number;
  /** What could not be saved as it was, and what restore does about it. */
  readonly notes: readonly SnapshotNote[];
}

/** The snapshot's bytes, taken when `io` is quiet (see quiesce.ts). */
export interface SnapshotOptions {
  /** Kept in the header for the program that restores it (values the codec carries). */
  application?: unknown;
  /**
   * Only this realm and the realms under it, with the processes that live in
   * them (a realm snapshot, `realm.snapshot(file, { io })`). Restore makes
   * it the new container's realm.
   */
  realm?: Realm;
}

export async function snapshotBytes(io: IO, options: SnapshotOptions = {}): Promise<{ bytes: Uint8Array; processes: number; notes: readonly SnapshotNote[] }> {
  // The graph is encoded while the container is still held: its state goes on changing after.
  return whenQuiet(io, () => {
    const { graph, definitions } = freeze(io, options.realm);
    const header: SnapshotHeader = {
      engine: ENGINE_PACKAGE,
      node: process.version,
      created: new Date().toISOString(),
      definitions,
      processes: graph.processes.length,
      ...(options.realm === undefined ? {} : { realm: options.realm.label }),
      ...(options.application === undefined ? {} : { application: options.application }),
    };
    return { bytes: encodeSnapshot(header, encodeGraph(graph)), processes: graph.processes.length, notes: graph.notes };
  });
}

export async function snapshot(io: IO, file: string, options: SnapshotOptions = {}): Promise<SnapshotReport> {
  const { bytes, processes, notes } = await snapshotBytes(io, options);
  await writeSnapshotFile(file, bytes);
  return { file, processes, bytes: bytes.length, notes };
}
