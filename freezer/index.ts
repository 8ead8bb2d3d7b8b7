// The Freezer in snapshot mode: `io.snapshot(file)` writes every process of a
// container to one file; `IO.restore(file)` rebuilds the graph and resumes it
// (docs/freezer.md). Importing this module installs both on IO.
import { IO } from '../engine/io.js';
import { restore, type Restored, type RestoreOptions } from './restore.js';
import { snapshot, type SnapshotOptions, type SnapshotReport } from './snapshot.js';

declare module '../engine/io.js' {
  interface IO {
    /** Writes a snapshot of every process once no flow is in progress (see docs/freezer.md). */
    snapshot(file: string, options?: SnapshotOptions): Promise<SnapshotReport>;
  }
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace IO {
    /** Rebuilds the graph a snapshot holds, in a new container, and resumes it. */
    function restore(file: string, options?: RestoreOptions): Promise<Restored>;
  }
}

IO.prototype.snapshot = function snapshot_(this: IO, file: string, options?: SnapshotOptions): Promise<SnapshotReport> {
  return snapshot(this, file, options);
};

(IO as unknown as { restore: typeof restore }).restore = restore;

// The functions are reached as io.snapshot and IO.restore (the package entry already exports a `snapshot`: the JIT's statistics).
export type { SnapshotOptions, SnapshotReport } from './snapshot.js';
export { readSnapshot } from './read.js';
export { Restored, RestoreError, type RestoreOptions } from './restore.js';
export { SnapshotFileError, SNAPSHOT_FORMAT_VERSION, OLDEST_READABLE_VERSION, type SnapshotHeader, type DefinitionProvenance } from './format.js';
export { NotRestoredError } from './devices.js';
export type { SnapshotNote, FrozenGraph, FrozenProcess, FrozenParam } from './graph.js';
