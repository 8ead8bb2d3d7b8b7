// The cluster from the package's entry (docs/cluster.md): joining, and binding
// a realm to the cluster. Both load the NATS client on first use (a dynamic
// import), so a program that never joins a cluster never loads it; only types
// are imported statically. Cross-host ports are in api/cluster-ports.ts.
import type { Realm } from '../realm/index.js';
import type { ClusterHost, JoinOptions } from '../cluster/membership.js';
import type { NetworkedRealm, NetworkedRealmOptions } from '../cluster/networked-realm.js';

export type { ClusterHost, JoinOptions, NetworkedRealm, NetworkedRealmOptions };

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
