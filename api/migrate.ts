// migrate(processes, host) and chain.migrate(host) from the package's entry:
// to a worker thread (freezer/migrate.ts) or to another host of the cluster
// (cluster/migrate-remote.ts, docs/freezer.md "To another machine").
//
// The cluster path loads the NATS client on first use (a dynamic import), so a
// program that only migrates to threads never loads it.
import type { Process } from '../engine/process.js';
import type { ClusterMigrateOptions, ClusterTarget } from '../cluster/migrate-remote.js';
import { holdLine } from '../freezer/held-line.js';
import { migrate as migrateToThread, type Migrated, type MigrateOptions, type MigrationTarget } from '../freezer/migrate.js';
import { RemoteHost } from './remote-host.js';

export type { ClusterMigrateOptions };

/**
 * Moves `processes` to `host` while they run and resumes them there with their
 * state: a worker thread (or back to this one, `io.host`), or another host of the cluster (`io.remoteHost(id)`),
 * where they must be a line of per-element steps (each reading `in` and
 * writing `out`). Refuses before anything moves what cannot be sent
 * (MigrationRefusedError); a host that lacks definitions or modules refuses
 * with the whole list (MissingDependenciesError) and the processes run on here.
 */
export function migrate(processes: Process | readonly Process[], host: MigrationTarget, options?: MigrateOptions): Promise<Migrated>;
export function migrate(processes: Process | readonly Process[], host: RemoteHost, options?: ClusterMigrateOptions): Promise<Migrated>;
export function migrate(processes: Process | readonly Process[], host: MigrationTarget | RemoteHost, options?: ClusterMigrateOptions): Promise<Migrated>;
export async function migrate(processes: Process | readonly Process[], host: MigrationTarget | RemoteHost, options: ClusterMigrateOptions = {}): Promise<Migrated> {
  if (!(host instanceof RemoteHost)) return migrateToThread(processes, host, options);
  const list = Array.isArray(processes) ? (processes as readonly Process[]) : [processes as Process];
  if (list.length === 0) return { labels: [], stateBytes: 0 };
  // Quiesce: after an await no flow is in progress (a flow is one synchronous
  // call). The line is frozen and held now, where the caller asked; finding
  // the host and opening the connections come after.
  await Promise.resolve();
  const held = holdLine(list);
  let target: ClusterTarget;
  let migrateHeldLine: typeof import('../cluster/migrate-remote.js').migrateHeldLine;
  try {
    const { membership, record } = await host.resolve();
    target = { membership, index: record.index, label: host.toString() };
    ({ migrateHeldLine } = await import('../cluster/migrate-remote.js'));
  } catch (error) {
    held.release();
    throw error;
  }
  return migrateHeldLine(held, target, options);
}
