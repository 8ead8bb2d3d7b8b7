// The Freezer's migration mode across machines: running per-element steps of
// a chain (a line of registered processes, `in` to `out`) move to another host
// of the cluster and go on there with the state they had. See docs/freezer.md,
// "To another machine".
//
//   upstream --in--> [a -> b -> c] --out--> downstream         before
//   upstream --in--> [writer] ==JetStream==> far host: a -> b -> c
//                                            ==JetStream==> [reader] --out--> downstream
//
// 1. Where migrate() is called (api/migrate.ts): the line is frozen strictly
//    and held where it stands (freezer/held-line.ts), after one await, so the
//    cut is where the caller asked for it; a refusal (a function that is not
//    portable, an open file, a set that is not a line) leaves no trace.
// 2. Here: two cross-host connections are opened (cluster/jetstream-link.ts),
//    both watching the far host through membership.
// 3. The far host's placement service is asked to take the frozen line (a
//    MigrationRequest, checked and built by acceptChain). It checks the
//    resolver headers first and refuses with everything it lacks.
// 4. Accepted: the upstream connection goes to the writer, the downstream
//    connection to the reader, which starts; the old processes go. Refused or
//    unanswered: nothing went through the holds, so both connections go back
//    to the line, which runs on here as if nothing had happened, and the
//    streams are deleted.
//
// Nothing in flight is lost or duplicated: an element is either still
// upstream (it goes out through the writer after the move), or in the frozen
// state (the far host goes on from it), or already downstream.
import { randomUUID } from 'node:crypto';
import type { HeldLine } from '../freezer/held-line.js';
import type { Migrated, MigrateOptions } from '../freezer/migrate.js';
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
 * Sends the held line `held` to the far host `target` and resumes it there;
 * resolves once the far host built it and the stream goes on. On the far
 * host's refusal (MissingDependenciesError listing everything it lacks,
 * PlacementRefusedError, PlacementUnansweredError) or a failure to open the
 * connections, the line is released and runs on here, and the error is thrown.
 */
export async function migrateHeldLine(held: HeldLine, target: ClusterTarget, options: ClusterMigrateOptions = {}): Promise<Migrated> {
  const { membership, index: far } = target;
  const { frozen, order, names } = held;
  const chunkSize = options.chunk ?? 4096;
  const connection = membership.connection;
  const id = `migrate-${membership.index}-${far}-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const input = `${id}-in`;
  const output = `${id}-out`;
  const removeStreams = async (): Promise<void> => {
    await Promise.all([deleteConnection(connection, input), deleteConnection(connection, output)]).catch(() => undefined);
  };
  const farHost = { membership, index: far };
  let writer: JetStreamWriter | undefined;
  let reader: JetStreamReader | undefined;
  const giveUp = async (why: Error): Promise<never> => {
    held.release();
    writer?.fail(why);
    reader?.close();
    for (const end of [writer?.process, reader?.process]) {
      if (end === undefined) continue;
      end.io.unpin(end);
      end.remove();
    }
    await removeStreams();
    throw why;
  };
  try {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`migrate to ${target.label}: chunk must be a positive integer, got ${String(chunkSize)}`);
    writer = await JetStreamWriter.open(held.io, connection, input, { farHost, windowRecords: chunkSize });
    reader = await JetStreamReader.open(held.io, connection, output, { farHost });
  } catch (error) {
    return giveUp(error as Error);
  }

  const request: MigrationRequest = {
    kind: 'migrate',
    from: membership.index,
    headers: options.headers?.(frozen.headers) ?? frozen.headers,
    processes: order.map((i) => {
      const p = frozen.processes[i]!;
      return { name: p.name, step: p.step ?? p.name, params: p.params, state: p.state };
    }),
    input,
    output,
    chunk: chunkSize,
  };
  const subject = placementSubject(membership.bucket, far);
  let reply;
  try {
    reply = decodePlacementReply((await connection.request(subject, encodePlacement(request), { timeout: options.timeoutMs ?? 30_000 })).data);
  } catch (error) {
    return giveUp(new PlacementUnansweredError(far, subject, error));
  }
  if (reply.kind === 'refused') {
    return giveUp(reply.missing !== undefined
      ? new MissingDependenciesError(`migration of ${names} from host ${membership.index} to ${target.label}`, reply.missing)
      : new PlacementRefusedError(far, reply.name, `${target.label} refused the migration of ${names}: ${reply.message}`));
  }

  // The far host runs the line now: the upstream goes on into the writer, the reader delivers, the old processes go.
  held.handOver(writer.process, reader.process);
  reader.start();
  // The streams go once both directions are over: the far host read the input's end (or was lost), and the output ended here.
  const downstream = reader.process.peer('out');
  const w = writer;
  const r = reader;
  void Promise.all([w.finished, downstream?.process.whenEnded(downstream.port)]).finally(() => {
    w.process.io.unpin(w.process);
    r.process.io.unpin(r.process);
    void removeStreams();
  });
  return { labels: reply.labels, stateBytes: frozen.stateBytes };
}
