// The Freezer. Snapshot mode: `io.snapshot(file)` writes every process of a
// container to one file; `IO.restore(file)` rebuilds the graph and resumes it
// (docs/freezer.md). Both are members of the user's IO (api/io.ts).

// The functions are reached as io.snapshot and IO.restore (the package entry already exports a `snapshot`: the JIT's statistics).
export type { SnapshotOptions, SnapshotReport } from './snapshot.js';
export { readSnapshot } from './read.js';
export { Restored, RestoreError, type RestoreOptions } from './restore.js';
export { SnapshotFileError, SNAPSHOT_FORMAT_VERSION, OLDEST_READABLE_VERSION, type SnapshotHeader, type DefinitionProvenance } from './format.js';
export { NotRestoredError } from './devices.js';
export type { SnapshotNote, FrozenGraph, FrozenProcess, FrozenParam } from './graph.js';
export type { FrozenRealm, FrozenSubscription, FrozenHandler, FrozenSignal } from './realms.js';

// Migration mode: running processes to a worker thread, back (chain.migrate(io.host)) and between workers (docs/freezer.md).
export { migrate, whereIs, MigrationRefusedError, type Migrated, type MigrationProblem, type MigrateOptions, type MigrationTarget } from './migrate.js';
export { byReference } from './references.js';
