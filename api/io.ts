// The IO container as a user holds it: the engine's container (engine/io.ts)
// with the sources of the chaining API as members, declared here and nowhere
// else.
//
//   const io = new IO();
//   io.from([1, 2, 3]).map((x) => x * 2).collect().run();            // [2, 4, 6]
//   await io.file('access.log').lines().grep(/ERROR/).count().collect().completion();
//   io.merge(a, b)  /  io.zip(a, b)  /  io.zip(a, b, (x, y) => x + y)
//
// The engine's own code takes the plain container; everything it accepts
// accepts this one too.
import type { Readable } from 'node:stream';
import { IO as Container, type IOOptions as ContainerOptions } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { graphOf, type Graph } from '../inspect/graph.js';
import type { Inspector, InspectOptions } from '../inspect/server.js';
import { from } from '../processes/sources/from.js';
import { fromArrays } from '../processes/sources/from-arrays.js';
import { CHUNK_SIZE, input } from '../processes/sources/input.js';
import { iterableReader, lazyFile, readableReader, webReader, type FileOptions, type Reader } from '../processes/sources/readers.js';
import { union } from '../processes/topology/union.js';
import { pair, zip } from '../processes/topology/zip.js';
import { restore, type Restored, type RestoreOptions } from '../freezer/restore.js';
import { snapshot, type SnapshotOptions, type SnapshotReport } from '../freezer/snapshot.js';
import { Chain, type Byte } from './chain.js';
import { closeWorkers, poolOf, setWorkers } from './parallel.js';
import type { WorkerPool } from '../transport/worker-pool.js';
import { clusterOf, leaveCluster, setCluster, type ClusterHost, type ClusterOptions } from './cluster.js';
import { liveHosts, RemoteHost } from './remote-host.js';

export interface IOOptions extends ContainerOptions {
  /** A pool of this many worker threads for chain.parallel() and chain.on(), started when first used. */
  workers?: number;
  /** The worker script (the built transport/worker-container.js); found next to the package's modules if not given. */
  workerScript?: string | URL;
  /** The folder the workers resolve module references from (a project with the packages installed; default: the working directory). */
  workerRoot?: string;
  /**
   * The cluster this container joins when first used (io.cluster(), io.hosts(),
   * a chain placed with on(host)); without it, PUSHBACK_CLUSTER (comma-separated
   * NATS URLs) is used if set. See docs/cluster.md.
   */
  cluster?: ClusterOptions;
}

export interface SourceOptions {
  /** The most a source reads at once (default 64 KiB). */
  chunkSize?: number;
}

export class IO extends Container {
  private readonly workerSetup: { script?: string | URL; root?: string };

  constructor(options: IOOptions = {}) {
    super(options);
    this.workerSetup = { script: options.workerScript, root: options.workerRoot };
    if (options.workers !== undefined) setWorkers(this, options.workers, this.workerSetup);
    if (options.cluster !== undefined) setCluster(this, options.cluster);
  }

  // ------------------------------------------------------------ worker threads (docs/workers.md)

  /** Gives the container a pool of `n` worker threads (started when first used); returns the container. */
  workers(n: number): this {
    setWorkers(this, n, this.workerSetup);
    return this;
  }

  /** The container's pool of worker threads, if it has one. */
  get workerPool(): WorkerPool | undefined {
    return poolOf(this);
  }

  /** Stops the container's worker threads and leaves the cluster (freeing the host id), if any; safe to call more than once. */
  async close(): Promise<void> {
    await Promise.all([closeWorkers(this), leaveCluster(this)]);
  }

  // ------------------------------------------------------------ the cluster (docs/cluster.md)

  /**
   * This container's host in the cluster: joins on first call (the cluster
   * option, else PUSHBACK_CLUSTER), claiming a host id and answering
   * placement requests from other hosts; later calls give the same host.
   */
  cluster(): Promise<ClusterHost> {
    return clusterOf(this);
  }

  /** The other live hosts of the cluster, as handles for chain.on(host) (joins first if need be). */
  hosts(): Promise<RemoteHost[]> {
    return liveHosts(this);
  }

  /**
   * A handle to another host of the cluster, by host index or name, for
   * chain.on(host); it is looked up when first used. (`io.host` is this
   * container's own host id.)
   */
  remoteHost(id: number | string): RemoteHost {
    return new RemoteHost(this, id);
  }

  // ------------------------------------------------------------ snapshots (docs/freezer.md)

  /** Rebuilds the graph a snapshot holds, in a new container, and resumes it. */
  static restore(file: string, options: RestoreOptions = {}): Promise<Restored> {
    return restore(file, { container: (o) => new IO(o), ...options });
  }

  /** Writes a snapshot of every process once no flow is in progress. */
  snapshot(file: string, options?: SnapshotOptions): Promise<SnapshotReport> {
    return snapshot(this, file, options);
  }

  // ------------------------------------------------------------ sources

  /** A chain whose source is the array (or any iterable, read into an array). */
  from<X>(xs: Iterable<X>): Chain<X> {
    const array = Array.isArray(xs) ? xs : [...xs];
    // The process is made when the chain is first used: io.merge of untouched
    // array chains reads their arrays instead (see processes/sources/from-arrays.ts).
    return new Chain<X>(this, () => new Process(this, from, { xs: array }), undefined, 'out', array);
  }

  /** Whatever a reader gives (see processes/sources/readers.ts). */
  read<X = unknown>(reader: Reader, options?: SourceOptions): Chain<X> {
    const s = new Process(this, input, { reader, chunkSize: chunkSize(options) });
    return new Chain<X>(this, s, s);
  }

  /** The bytes of a file, read as the chain admits them. */
  file(path: string, options?: SourceOptions & FileOptions): Chain<Byte> {
    return this.read<Byte>(lazyFile(path, options), options);
  }

  /** The bytes of standard input (a core service of the container: one chain at a time). */
  stdin(options?: SourceOptions): Chain<Byte> {
    let s = this.serviceNamed('stdin');
    if (!s || (s.state.done as boolean)) {
      s = this.service('stdin', new Process(this, input, { reader: readableReader(process.stdin, 'stdin'), chunkSize: chunkSize(options) }));
    }
    return new Chain<Byte>(this, s, s);
  }

  /** A Node Readable: bytes, or values in object mode. */
  fromReadable<X = Byte>(readable: Readable, options?: SourceOptions): Chain<X> {
    return this.read<X>(readableReader(readable), options);
  }

  /** A Web ReadableStream: bytes, or values with `bytes: false`. */
  fromWeb<X = Byte>(stream: ReadableStream<unknown>, options: SourceOptions & { bytes?: boolean } = {}): Chain<X> {
    return this.read<X>(webReader(stream, { bytes: options.bytes }), options);
  }

  /** An async (or sync) iterable: its values, or byte chunks with `bytes: true`. */
  fromAsync<X>(iterable: AsyncIterable<X> | Iterable<X>, options: SourceOptions & { bytes?: boolean } = {}): Chain<X> {
    return this.read<X>(iterableReader(iterable, { bytes: options.bytes }), options);
  }

  // ------------------------------------------------------------ joining chains

  /** One chain carrying everything the given chains carry. */
  merge<X>(...chains: Chain<X>[]): Chain<X> {
    if (chains.length === 0) throw new TypeError('merge: expected at least one chain');
    if (chains.every((c) => c.untouchedArray)) {
      // A graph rewrite before anything runs: merging untouched arrays is one
      // source taking turns over them, with the order separate sources would give.
      const s = new Process(this, fromArrays, { arrays: chains.map((c) => c.array) }).nameStep('merge');
      return new Chain<X>(this, s, s);
    }
    const u = new Process(this, union);
    chains.forEach((c, i) => c.tail.connect(c.tailPort, u, `in[${i}]`));
    return new Chain<X>(this, chains[0].source, u);
  }

  /** Pairs of the two chains' elements, or f(a, b); ends with the shorter one. */
  zip<A, B>(a: Chain<A>, b: Chain<B>): Chain<[A, B]>;
  zip<A, B, C>(a: Chain<A>, b: Chain<B>, f: (a: A, b: B) => C, bound?: number): Chain<C>;
  zip<A, B, C>(a: Chain<A>, b: Chain<B>, f?: (a: A, b: B) => C, bound = 8192): Chain<C> {
    if (f !== undefined && typeof f !== 'function') throw new TypeError(`zip: expected a function, got ${typeof f}`);
    const z = new Process(this, zip, { f: f ?? pair, bound });
    a.tail.connect(a.tailPort, z, 'left');
    b.tail.connect(b.tailPort, z, 'right');
    return new Chain<C>(this, a.source, z);
  }

  // ------------------------------------------------------------ seeing it

  /** The topology of every live process: processes, ports, connections, fused chains, hosts. */
  graph(): Graph {
    return graphOf(this);
  }

  /** Serves a live, read-only page about this container (127.0.0.1, a random token in the URL). */
  async inspect(options?: InspectOptions): Promise<Inspector> {
    // The server and the page load only when asked for.
    return (await import('../inspect/server.js')).inspect(this, options);
  }
}

function chunkSize(options: SourceOptions = {}): number {
  const n = options.chunkSize ?? CHUNK_SIZE;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`chunkSize must be a positive integer, got ${n}`);
  return n;
}
