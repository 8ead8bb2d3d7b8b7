// The cluster from the package's entry (docs/cluster.md): joining, binding a
// realm to the cluster, and the cluster membership of an IO container
// (`new IO({ cluster })`, `PUSHBACK_CLUSTER`, io.cluster(), io.close()).
//
// Everything here loads the NATS client on first use (a dynamic import), so a
// program that never joins a cluster never loads it; only types are imported
// statically. Cross-host ports are in api/cluster-ports.ts, placement on
// another host in api/remote-section.ts.
import type { IO } from '../engine/io.js';
import type { Realm } from '../realm/index.js';
import type { ClusterHost, HostRecord, JoinOptions } from '../cluster/membership.js';
import type { NetworkedRealm, NetworkedRealmOptions } from '../cluster/networked-realm.js';
import type { PlacementService } from '../cluster/placement-service.js';
import type { HostCapabilities } from '../transport/dependencies.js';

export type { ClusterHost, HostRecord, JoinOptions, NetworkedRealm, NetworkedRealmOptions, PlacementService };

/** Joins the cluster at `options.servers`: claims a host id, keeps it alive, learns the peers. */
export async function joinCluster(options: JoinOptions): Promise<ClusterHost> {
  const { joinCluster: join } = await import('../cluster/membership.js');
  return join(options);
}

/** Binds `realm` to the cluster `host` is part of; resolves once the proclamations already there are shown. */
export async function bindRealm(realm: Realm, host: ClusterHost, options: NetworkedRealmOptions = {}): Promise<NetworkedRealm> {
  const { bindRealm: bind } = await import('../cluster/networked-realm.js');
  return bind(realm, host, options);
}

// ---------------------------------------------------------------- the cluster of a container

/** How an IO container joins a cluster: new IO({ cluster: { servers, ... } }). */
export interface ClusterOptions extends JoinOptions {
  /** Answer placement requests from other hosts (chain.on(host)); default true. */
  serve?: boolean;
  /** What this host accepts to run (default: its registry, this engine's version, modules from the working folder). */
  capabilities?: HostCapabilities;
}

/** The environment variable that joins a container without a cluster option: comma-separated NATS server URLs. */
export const CLUSTER_VARIABLE = 'PUSHBACK_CLUSTER';

interface Joined {
  readonly host: ClusterHost;
  readonly service: PlacementService | undefined;
}

interface Membership {
  readonly options: ClusterOptions;
  joining?: Promise<Joined>;
}

const memberships = new WeakMap<IO, Membership>();

/** The cluster `io` joins when first used; the container leaves it on close. */
export function setCluster(io: IO, options: ClusterOptions): void {
  const servers = typeof options.servers === 'string' ? [options.servers] : options.servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError('cluster: expected { servers: "nats://host:port" or a non-empty list of them }');
  }
  if (memberships.get(io)?.joining !== undefined) throw new Error('cluster: this container has joined already; call io.close() first');
  memberships.set(io, { options });
}

/** The servers `PUSHBACK_CLUSTER` names (comma-separated), or undefined when it is not set. */
export function clusterFromEnvironment(env: NodeJS.ProcessEnv = process.env): ClusterOptions | undefined {
  const value = env[CLUSTER_VARIABLE]?.trim();
  if (value === undefined || value === '') return undefined;
  const servers = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return servers.length === 0 ? undefined : { servers };
}

/**
 * The container's host in the cluster: joined on first call (the options
 * given to the container, else `PUSHBACK_CLUSTER`), with its placement
 * service answering. Later calls give the same host.
 */
export function clusterOf(io: IO): Promise<ClusterHost> {
  let membership = memberships.get(io);
  if (membership === undefined) {
    const options = clusterFromEnvironment();
    if (options === undefined) {
      return Promise.reject(new Error(`cluster: this container has no cluster; give new IO({ cluster: { servers } }) or set ${CLUSTER_VARIABLE}=nats://host:port`));
    }
    memberships.set(io, (membership = { options }));
  }
  const m = membership;
  m.joining ??= join(io, m.options).catch((error: unknown) => {
    // A failed join can be tried again.
    m.joining = undefined;
    throw error;
  });
  return m.joining.then((joined) => joined.host);
}

/** True once the container has started joining (so io.close() has something to leave). */
export function hasJoined(io: IO): boolean {
  return memberships.get(io)?.joining !== undefined;
}

async function join(io: IO, options: ClusterOptions): Promise<Joined> {
  const { serve = true, capabilities, ...joinOptions } = options;
  const host = await joinCluster(joinOptions);
  if (!serve) return { host, service: undefined };
  try {
    const { servePlacement } = await import('../cluster/placement-service.js');
    return { host, service: await servePlacement(io, host, { capabilities }) };
  } catch (error) {
    await host.leave();
    throw error;
  }
}

/** Leaves the cluster (the host id is freed at once); the container may join again later. */
export async function leaveCluster(io: IO): Promise<void> {
  const membership = memberships.get(io);
  const joining = membership?.joining;
  if (membership === undefined || joining === undefined) return;
  membership.joining = undefined;
  const joined = await joining.catch(() => undefined);
  if (joined === undefined) return;
  joined.service?.stop();
  await joined.host.leave();
}

/** The container's placement service, once joined (for tests and tools). */
export async function placementServiceOf(io: IO): Promise<PlacementService | undefined> {
  const joining = memberships.get(io)?.joining;
  return joining === undefined ? undefined : (await joining).service;
}
