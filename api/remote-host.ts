// A handle to another host of the cluster, as `io.remoteHost(id)` and `io.hosts()`
// give it: named by host index or by name, found among the live peers when it
// is first used (the container joins the cluster then, if it has not yet).
// `chain.on(handle)` places the rest of a chain there (api/remote-section.ts).
//
// Once found, the handle follows membership: when the host is lost (its
// heartbeat lapsed) or leaves, `lost` says so, and a run placed on it fails
// with `host-lost`.
import type { IO } from '../engine/io.js';
import type { ClusterHost, HostRecord } from '../cluster/membership.js';
import { clusterOf } from './cluster.js';

export type RemoteHostState = 'unresolved' | 'live' | 'lost';

/** What a handle found: the membership of this container and the far host's claim. */
export interface ResolvedHost {
  readonly membership: ClusterHost;
  readonly record: HostRecord;
}

export class RemoteHost {
  private found: ResolvedHost | undefined;
  private finding: Promise<ResolvedHost> | undefined;
  private gone = false;

  constructor(
    readonly io: IO,
    /** The host asked for: its index (1..2^20-1) or its name (JoinOptions.name). */
    readonly wanted: number | string,
  ) {
    if (typeof wanted === 'number' ? !Number.isInteger(wanted) || wanted < 1 : typeof wanted !== 'string' || wanted === '') {
      throw new RangeError(`host: expected a host index (a positive integer) or a host name, got ${JSON.stringify(wanted)}`);
    }
  }

  /** The host's index, once found. */
  get index(): number | undefined {
    return this.found?.record.index ?? (typeof this.wanted === 'number' ? this.wanted : undefined);
  }

  /** The host's name, once found. */
  get name(): string | undefined {
    return this.found?.record.name ?? (typeof this.wanted === 'string' ? this.wanted : undefined);
  }

  /** 'unresolved' until first used, 'live' while membership has it, 'lost' once it was lost or left. */
  get state(): RemoteHostState {
    return this.gone ? 'lost' : this.found === undefined ? 'unresolved' : 'live';
  }

  /** True once the host was lost or left the cluster. */
  get lost(): boolean {
    return this.gone;
  }

  /** `host 2 ("worker-a")`, for messages. */
  toString(): string {
    const index = this.index;
    const name = this.name;
    if (index !== undefined && name !== undefined) return `host ${index} (${JSON.stringify(name)})`;
    return index !== undefined ? `host ${index}` : `host ${JSON.stringify(name)}`;
  }

  /**
   * Joins the cluster if the container has not yet, and finds the host among
   * the live peers; rejects, naming it and the live hosts, when it is not
   * there or is this container's own host.
   */
  resolve(): Promise<ResolvedHost> {
    if (this.gone) return Promise.reject(new Error(`${this.toString()} was lost`));
    this.finding ??= this.find().catch((error: unknown) => {
      this.finding = undefined;
      throw error;
    });
    return this.finding;
  }

  /** @internal Marks the handle found (io.hosts() gives handles it has found already). */
  static found(io: IO, membership: ClusterHost, record: HostRecord): RemoteHost {
    const handle = new RemoteHost(io, record.index);
    handle.follow({ membership, record });
    handle.finding = Promise.resolve(handle.found!);
    return handle;
  }

  private async find(): Promise<ResolvedHost> {
    const membership = await clusterOf(this.io);
    const wanted = this.wanted;
    if (wanted === membership.index || wanted === membership.record.name) {
      throw new RangeError(`host ${JSON.stringify(wanted)} is this container's own host; chain.on(host) places on another host`);
    }
    await membership.refresh();
    const peers = [...membership.peers().values()];
    const record = peers.find((p) => (typeof wanted === 'number' ? p.index === wanted : p.name === wanted));
    if (record === undefined) {
      const live = peers.map((p) => `${p.index} (${JSON.stringify(p.name)})`).join(', ') || 'none but this one';
      throw new RangeError(`host ${JSON.stringify(wanted)} is not a live host of cluster "${membership.bucket}" (live hosts: ${live})`);
    }
    this.follow({ membership, record });
    return this.found!;
  }

  private follow(found: ResolvedHost): void {
    this.found = found;
    const stop = found.membership.on((event) => {
      if ((event.type === 'lost' || event.type === 'left') && event.index === found.record.index) {
        this.gone = true;
        stop();
      }
    });
  }
}

/** The live peers of the container's host, as handles (joins the cluster first if need be). */
export async function liveHosts(io: IO): Promise<RemoteHost[]> {
  const membership = await clusterOf(io);
  await membership.refresh();
  return [...membership.peers().values()].sort((a, b) => a.index - b.index).map((record) => RemoteHost.found(io, membership, record));
}
