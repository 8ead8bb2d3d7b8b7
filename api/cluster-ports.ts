// Cross-host ports from the API: host A says "my port writes to connection C",
// host B "connection C feeds my port", by a name both agree on; the connection
// runs over NATS JetStream (cluster/jetstream-link.ts, docs/cluster.md).
//
// The NATS client packages are loaded here on first use (a dynamic import), so
// a program that never opens a cross-host port, `npm start` among them, never
// loads them; only types are imported statically.
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import type { ConnectOptions } from '../cluster/connect.js';
import type { JetStreamReader, JetStreamWriter, ReaderOptions, WriterOptions } from '../cluster/jetstream-link.js';

/** One end of a cross-host connection, with the NATS connection it opened. */
export interface ClusterEnd<End> {
  /** The stand-in and its state (resumeFrom, finished, …). */
  end: End;
  /** Closes the NATS connection this end opened. */
  close(): Promise<void>;
}

async function opened<End>(options: ConnectOptions, open: (connection: Awaited<ReturnType<typeof import('../cluster/connect.js').connectToCluster>>) => Promise<End>): Promise<ClusterEnd<End>> {
  const { connectToCluster } = await import('../cluster/connect.js');
  const connection = await connectToCluster(options);
  try {
    const end = await open(connection);
    return { end, close: () => connection.close() };
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Connects `from.fromPort` to cross-host connection `name`: what the port
 * writes goes to whichever host reads `name`. The writer resumes after what the
 * stream already holds (`end.resumeFrom`); a source restarted after a crash
 * skips that many records.
 */
export async function writeToCluster(from: Process, fromPort: string, name: string, options: ConnectOptions & WriterOptions): Promise<ClusterEnd<JetStreamWriter>> {
  const { JetStreamWriter } = await import('../cluster/jetstream-link.js');
  const port = await opened(options, (connection) => JetStreamWriter.open(from.io, connection, name, options));
  from.connect(fromPort, port.end.process, 'in');
  return port;
}

/** Feeds `to.toPort` from cross-host connection `name`, starting at the first record not yet committed. */
export async function readFromCluster(io: IO, name: string, to: Process, toPort: string, options: ConnectOptions & ReaderOptions): Promise<ClusterEnd<JetStreamReader>> {
  const { JetStreamReader } = await import('../cluster/jetstream-link.js');
  const port = await opened(options, (connection) => JetStreamReader.open(io, connection, name, options));
  port.end.process.connect('out', to, toPort);
  port.end.start();
  return port;
}
