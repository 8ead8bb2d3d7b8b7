// The Freezer's migration mode across machines: running per-element steps of
// a chain (a line of registered processes, `in` to `out`) move to another host
// of the cluster and go on there with the state they had. See docs/freezer.md,
// "To another machine".
//
//   upstream --in--> [a -> b -> c] --out--> downstream         before
//   upstream --in--> [writer] ==JetStream==> far host: a -> b -> c
//                                            ==JetStream==> [reader] --out--> downstream
//
// 1. The same strict freeze as for a worker thread (freezer/migrate.ts,
//    freezeForMigration), tried once before anything is opened, so a refusal
//    (a function that is not portable, an open file) leaves no trace.
// 2. Two cross-host connections are opened (cluster/jetstream-link.ts), both
//    watching the far host through membership.
// 3. Quiesce (after an await no flow is in progress), freeze again (the state
//    now), and in the same synchronous step hand the upstream connection to a
//    hold that admits nothing and the downstream connection to the reader,
//    which is not started: the processes that stay are held where they are,
//    and the frozen processes can no longer change.
// 4. The far host's placement service is asked to take the frozen set
//    (a MigrationRequest, checked and built by acceptChain). It checks the
//    resolver headers first and refuses with everything it lacks.
// 5. Accepted: the upstream connection goes from the hold to the writer, the
//    reader starts, the old processes go. Refused or unanswered: nothing went
//    through the hold, so both connections go back to the processes, which run
//    on here as if nothing had happened, and the streams are deleted.
//
// Nothing in flight is lost or duplicated: an element is either still
// upstream (it goes out through the writer after the move), or in the frozen
// state (the far host goes on from it), or already downstream.
import { randomUUID } from 'node:crypto';
import { admitWith, chunk, define } from '../engine/definition.js';
import { Process } from '../engine/process.js';
import { joinRunOf } from '../engine/run.js';
import { freezeForMigration, type FrozenMigration, type Migrated, type MigrateOptions } from '../freezer/migrate.js';
import { MissingDependenciesError } from '../transport/modules.js';
import { deleteConnection, JetStreamReader, JetStreamWriter } from './jetstream-link.js';
import type { ClusterHost } from './membership.js';
import {
  decodePlacementReply,
  encodePlacement,
  PlacementRefusedError,
  PlacementUnansweredError,
  placementSubject,
  type MigrationRequest,
} from './placement-messages.js';

export interface ClusterMigrateOptions extends MigrateOptions {
  /** Elements sent to the far host and not yet stored by the server, at most (default 4 096), and the far host's output window. */
  chunk?: number;
  /** How long the far host may take to check and build (default 30 000 ms). */
  timeoutMs?: number;
}

/** Where the processes go: this container's membership and the far host's index, and how messages name it. */
export interface ClusterTarget {
  readonly membership: ClusterHost;
  readonly index: number;
  /** `host 2 ("far")`, for messages. */
  readonly label: string;
}

/**
 * Holds the upstream connection while the far host decides: admits nothing,
 * so the process upstream keeps what it would have sent (it is refused, and
 * hears "writable again" once the connection goes on).
 */
const migrationHold = define('migrationHold', { ports: ['in'], inputs: ['in'] })
  .admittance('>in', admitWith(() => 0))
  .flow('>in', chunk(() => 0));

/** The frozen processes in chain order, with the upstream and downstream ends; throws a RangeError for anything but a line. */
function lineOf(list: readonly Process[], frozen: FrozenMigration): number[] {
  const names = list.map((p) => p.label).join(', ');
  const notALine = (why: string): RangeError =>
    new RangeError(`cannot migrate ${names} to another machine: ${why}; only a line of processes, each reading 'in' and writing 'out', can go (nothing was moved)`);
  const inputs = frozen.boundary.filter((b) => b.input);
  const outputs = frozen.boundary.filter((b) => !b.input);
  if (inputs.length !== 1 || inputs[0]!.port !== 'in') throw notALine(`${inputs.length} connection(s) come in from processes that stay (${inputs.map((b) => `${list[b.process]!.label} '${b.port}'`).join(', ') || 'none'})`);
  if (outputs.length !== 1 || outputs[0]!.port !== 'out') throw notALine(`${outputs.length} connection(s) go out to processes that stay (${outputs.map((b) => `${list[b.process]!.label} '${b.port}'`).join(', ') || 'none'})`);
  const next = new Map<number, number>();
  for (const link of frozen.links) {
    if (link.port !== 'out' || link.farPort !== 'in' || next.has(link.from)) throw notALine(`${list[link.from]!.label} '${link.port}' feeds ${list[link.to]!.label} '${link.farPort}'`);
    next.set(link.from, link.to);
  }
  const order = [inputs[0]!.process];
  while (next.has(order[order.length - 1]!)) {
    const n = next.get(order[order.length - 1]!)!;
    if (order.includes(n)) throw notALine('its connections form a cycle');
    order.push(n);
  }
  if (order.length !== list.length || order[order.length - 1] !== outputs[0]!.process) throw notALine('they are not one connected line');
  return order;
}

/** Hands the connection on `port` of `p` to `to`'s `toPort` (a disconnect and a connect: a new record, carried by the new transport). */
function rewire(p: Process, port: string, to: Process, toPort: string): void {
  const far = p.peer(port)!;
  p.disconnect(port);
  to.connect(toPort, far.process, far.port);
}

/**
 * Moves `processes` (a line of per-element steps) to the far host `target`
 * while they run, and resumes them there. Resolves once the far host built
 * them and the stream goes on. Rejects with MigrationRefusedError before
 * anything is opened, with a RangeError for a set that is not a line, or with
 * the far host's refusal (MissingDependenciesError listing everything it
 * lacks, PlacementRefusedError, PlacementUnansweredError): then the processes
 * run on here.
 */
export async function migrateToHost(processes: readonly Process[], target: ClusterTarget, options: ClusterMigrateOptions = {}): Promise<Migrated> {
  if (processes.length === 0) return { labels: [], stateBytes: 0 };
  // Strict refusals first, before any stream exists.
  lineOf(processes, freezeForMigration(processes));
  const { membership, index: far } = target;
  const io = processes[0]!.io;
  const chunkSize = options.chunk ?? 4096;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`migrate to ${target.label}: chunk must be a positive integer, got ${String(chunkSize)}`);
  const connection = membership.connection;
  const id = `migrate-${membership.index}-${far}-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const input = `${id}-in`;
  const output = `${id}-out`;
  const removeStreams = async (): Promise<void> => {
    await Promise.all([deleteConnection(connection, input), deleteConnection(connection, output)]).catch(() => undefined);
  };
  const farHost = { membership, index: far };
  const writer = await JetStreamWriter.open(io, connection, input, { farHost, windowRecords: chunkSize });
  let reader: JetStreamReader;
  try {
    reader = await JetStreamReader.open(io, connection, output, { farHost });
  } catch (error) {
    writer.fail(error as Error);
    io.unpin(writer.process);
    await removeStreams();
    throw error;
  }
  const drop = async (why: Error): Promise<void> => {
    writer.fail(why);
    reader.close();
    io.unpin(writer.process);
    io.unpin(reader.process);
    writer.process.remove();
    reader.process.remove();
    await removeStreams();
  };

  // Quiesce: the opens were awaited, so no flow is in progress now. Freeze
  // again (the state as it is now) and hold, in one synchronous step.
  let frozen: FrozenMigration;
  let order: number[];
  try {
    frozen = freezeForMigration(processes);
    order = lineOf(processes, frozen);
  } catch (error) {
    await drop(error as Error);
    throw error;
  }
  const first = processes[order[0]!]!;
  const last = processes[order[order.length - 1]!]!;
  const hold = new Process(io, migrationHold, {});
  joinRunOf(hold, first);
  joinRunOf(writer.process, first);
  joinRunOf(reader.process, last);
  rewire(first, 'in', hold, 'in');
  rewire(last, 'out', reader.process, 'out');

  const headers = options.headers?.(frozen.headers) ?? frozen.headers;
  const request: MigrationRequest = {
    kind: 'migrate',
    from: membership.index,
    headers,
    processes: order.map((i) => {
      const p = frozen.processes[i]!;
      return { name: p.name, step: p.step ?? p.name, params: p.params, state: p.state };
    }),
    input,
    output,
    chunk: chunkSize,
  };
  const names = order.map((i) => processes[i]!.label).join(', ');
  const subject = placementSubject(membership.bucket, far);
  let refusal: Error | undefined;
  let labels: readonly string[] = [];
  try {
    const reply = decodePlacementReply((await connection.request(subject, encodePlacement(request), { timeout: options.timeoutMs ?? 30_000 })).data);
    if (reply.kind === 'accepted') labels = reply.labels;
    else if (reply.missing !== undefined) refusal = new MissingDependenciesError(`migration of ${names} from host ${membership.index} to ${target.label}`, reply.missing);
    else refusal = new PlacementRefusedError(far, reply.name, `${target.label} refused the migration of ${names}: ${reply.message}`);
  } catch (error) {
    refusal = new PlacementUnansweredError(far, subject, error);
  }

  if (refusal !== undefined) {
    // Nothing went through the hold and the reader never started: the
    // connections go back, and the processes run on here.
    if (hold.isConnected('in')) rewire(hold, 'in', first, 'in');
    if (reader.process.isConnected('out')) rewire(reader.process, 'out', last, 'out');
    hold.remove();
    // A writer upstream refused by the hold meanwhile may write again.
    if (first.isConnected('in')) first.writableAgain('in');
    await drop(refusal);
    throw refusal;
  }

  // The far host runs them now: the upstream goes on into the writer, the reader delivers, the old processes go.
  if (hold.isConnected('in')) rewire(hold, 'in', writer.process, 'in');
  hold.remove();
  reader.start();
  for (const p of processes) p.remove();
  if (writer.process.isConnected('in')) writer.process.writableAgain('in');
  // The streams go once both directions are over: the far host read the input's end (or was lost), and the output ended here.
  const downstream = reader.process.peer('out')!;
  void Promise.all([writer.finished, downstream.process.whenEnded(downstream.port)]).finally(() => {
    io.unpin(writer.process);
    io.unpin(reader.process);
    void removeStreams();
  });
  return { labels, stateBytes: frozen.stateBytes };
}
