// The asking host's side of `chain.on(host)`: it opens the two cross-host
// connections of a placement (elements out, results back), then asks the far
// host's placement service (placement-service.ts) to run the steps between
// them. Both ends here watch the far host through membership (`farHost`), so
// its loss ends them with `host-lost`.
//
// The connections are opened before the request is sent, so that both streams
// exist whichever end reads first; a refusal removes them again.
import { randomUUID } from 'node:crypto';
import type { IO } from '../engine/io.js';
import type { ResolverHeaders } from '../transport/dependencies.js';
import { MissingDependenciesError } from '../transport/modules.js';
import type { StageSpec } from '../transport/parallel-messages.js';
import { deleteConnection, JetStreamReader, JetStreamWriter } from './jetstream-link.js';
import type { ClusterHost } from './membership.js';
import {
  decodePlacementReply,
  encodePlacement,
  PlacementRefusedError,
  PlacementUnansweredError,
  placementSubject,
  type PlacementRequest,
} from './placement-messages.js';

export interface PlacementSpec {
  readonly io: IO;
  readonly membership: ClusterHost;
  /** The far host's index. */
  readonly far: number;
  readonly stages: readonly StageSpec[];
  readonly headers: ResolverHeaders;
  /** Elements sent and not yet stored by the server, at most: the outgoing connection's window (default 4 096). */
  readonly chunk?: number;
  /** How long the far host may take to check and build (default 30 000 ms). */
  readonly timeoutMs?: number;
}

export interface OpenedPlacement {
  /** Takes the elements to the far host: connect the source side to `writer.process` 'in'. */
  readonly writer: JetStreamWriter;
  /** Gives the far host's outputs: connect `reader.process` 'out', then start it. */
  readonly reader: JetStreamReader;
  /** The placed processes' labels on the far host. */
  readonly labels: readonly string[];
  /** Removes both connections' streams (once the run is over). */
  remove(): Promise<void>;
}

/** Opens the connections and asks the far host to place the steps; throws its refusal. */
export async function requestPlacement(spec: PlacementSpec): Promise<OpenedPlacement> {
  const { io, membership, far } = spec;
  const connection = membership.connection;
  const id = `place-${membership.index}-${far}-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const input = `${id}-in`;
  const output = `${id}-out`;
  const remove = async (): Promise<void> => {
    await Promise.all([deleteConnection(connection, input), deleteConnection(connection, output)]).catch(() => undefined);
  };
  const farHost = { membership, index: far };
  const writer = await JetStreamWriter.open(io, connection, input, { farHost, windowRecords: spec.chunk ?? 4096 });
  const reader = await JetStreamReader.open(io, connection, output, { farHost });
  const request: PlacementRequest = { kind: 'place', from: membership.index, headers: spec.headers, stages: spec.stages, input, output, chunk: spec.chunk ?? 4096 };
  const subject = placementSubject(membership.bucket, far);
  let bytes: Uint8Array;
  try {
    bytes = (await connection.request(subject, encodePlacement(request), { timeout: spec.timeoutMs ?? 30_000 })).data;
  } catch (error) {
    await drop(io, writer, reader, remove);
    throw new PlacementUnansweredError(far, subject, error);
  }
  const reply = decodePlacementReply(bytes);
  if (reply.kind === 'refused') {
    await drop(io, writer, reader, remove);
    if (reply.missing !== undefined) {
      const steps = spec.stages.map((s) => s.step).join(', ') || 'no steps';
      throw new MissingDependenciesError(`placement of ${steps} from host ${membership.index} on host ${far}`, reply.missing);
    }
    throw new PlacementRefusedError(far, reply.name, `host ${far} refused the placement: ${reply.message}`);
  }
  return { writer, reader, labels: reply.labels, remove };
}

async function drop(io: IO, writer: JetStreamWriter, reader: JetStreamReader, remove: () => Promise<void>): Promise<void> {
  reader.close();
  writer.fail(new Error(`connection "${writer.name}": the placement was not made`));
  io.unpin(reader.process);
  io.unpin(writer.process);
  await remove();
}
