// A networked realm: one realm of the realm tree, bound under a cluster-wide
// name on several hosts, behaving as one realm spread over them. User code
// keeps the realm API it uses locally (signal, on, proclaim, subscribe); the
// binding carries what crosses hosts:
//
//   signals       A signal that bubbles up to the bound realm and is not taken
//                 by a handler there on this host travels as a NATS request to
//                 a host whose part of the realm handles its topic (each host
//                 serves the topics it has `on(topic)` handlers for on the
//                 bound realm). Nobody serving the topic, no answer within the
//                 timeout, or the answering host lost: the sender resumes with
//                 Empty, the same rule as locally.
//   proclamations What is proclaimed in the bound realm on one host is stored
//                 per owner in a key-value bucket (cluster/proclamations.ts)
//                 and shown in the bound realm on every other host, owned
//                 there by a child realm standing for its host ("host-<index>").
//                 A host that binds late sees what is already there. When
//                 membership reports a host lost (or gone), that child realm
//                 stops, which retracts everything the host asserted, and its
//                 keys are deleted; its pending signals resume with Empty.
//   capabilities  Each host enforces its own rules (a vassal's rule list, with
//                 the ingress | egress directions) on what reaches its part of
//                 the realm from the network: egress rules decide which
//                 signals remote callers may raise here and which of their
//                 proclamations are shown here; ingress rules decide which of
//                 this host's proclamations other hosts may see. Nothing is
//                 left to the caller, so a raw NATS message gets no further
//                 than one sent through a binding.
//   outages       While the connection to the server is down the realm says
//                 so with the proclamation `$cluster('disconnected')` (and
//                 `$cluster('connected')` when it is back); after a reconnect
//                 the host writes its own proclamations again and replays the
//                 others'.
//
// The binding drives the World of the bound realm when something arrives from
// the network (it runs the World at the next microtask, unless it is running).
import { Empty } from '../realm/empty.js';
import { handlerTopics, onWorldWake, pinnedProclamations, setBoundary, type BoundaryProclamation, type BoundarySignal, type RealmBoundary } from '../realm/boundary.js';
import type { Realm } from '../realm/realm.js';
import { Vassal, applyRules, distinct, flattenRules, type Rule, type RuleList } from '../realm/vassal.js';
import type { Tuple } from '../realm/pattern.js';
import type { Proclamation } from '../realm/proclamations.js';
import type { ClusterHost, MembershipEvent } from './membership.js';
import { RemoteSignals, checkName } from './signals.js';
import { ProclamationStore, type ProclamationChange } from './proclamations.js';

export interface NetworkedRealmOptions {
  /** The realm's name in the cluster (a plain subject token); default: the realm's own name. */
  name?: string;
  /** What other hosts may do in this host's part of the realm (vassal rules); default: everything. */
  rules?: RuleList;
  /** A signal sent to another host and not answered within this many ms resumes with Empty (default 5 000). */
  timeoutMs?: number;
  /** The key-value bucket of proclamations (default "pushback_proclamations"). */
  bucket?: string;
  /** Subject prefix of signals (default "pushback.signal"). */
  prefix?: string;
  /** Told about what fails without stopping the realm: messages that do not decode, failed writes, handler failures. */
  onError?: (error: Error) => void;
}

export type ConnectionStatus = 'connected' | 'disconnected';

/** The topic of the proclamation that tells the connection's status in a bound realm. */
export const CLUSTER_STATUS_TOPIC = 'cluster';

/** Binds `realm` to the cluster `host` is part of; resolves once the proclamations already there are shown. */
export async function bindRealm(realm: Realm, host: ClusterHost, options: NetworkedRealmOptions = {}): Promise<NetworkedRealm> {
  const bound = new NetworkedRealm(realm, host, options);
  try {
    await bound.start(options.bucket);
  } catch (error) {
    await bound.unbind();
    throw error;
  }
  return bound;
}

/** What another host asserted, shown here: owned by a child realm standing for that host. */
interface Mirror {
  readonly realm: Realm;
  /** By the host's sequence: the assertion as stored, and the handles showing it here. */
  readonly shown: Map<number, { readonly text: string; readonly handles: Proclamation[] }>;
}

export class NetworkedRealm {
  readonly name: string;
  readonly signals: RemoteSignals;
  private store: ProclamationStore | undefined;
  private readonly onError: (error: Error) => void;
  private readonly rules: readonly Rule[] | undefined;
  /** Signals from other hosts are raised from here, through the rules; the boundary knows them by this origin and never sends them out again. */
  private readonly callers: Realm;
  private readonly access: Pick<Realm, 'signal'>;
  private readonly serving = new Map<string, () => void>();
  private readonly mirrors = new Map<number, Mirror>();
  /** Hosts reported lost or gone: what still arrives from them is stale. */
  private readonly gone = new Set<number>();
  /** This host's assertions in the bucket, by the local handle they show. */
  private readonly exported = new Map<object, number[]>();
  private nextSequence = 1;
  private statusHandle: Proclamation | undefined;
  private stopWatch: (() => void) | undefined;
  private readonly cleanups: (() => void)[] = [];
  private closed = false;
  private kicked = false;
  /** The rewrite of this host's proclamations after a reconnect, while it runs. */
  private syncing: Promise<void> = Promise.resolve();
  status: ConnectionStatus = 'connected';

  /** @internal Use bindRealm. */
  constructor(
    readonly realm: Realm,
    readonly host: ClusterHost,
    options: NetworkedRealmOptions,
  ) {
    this.name = options.name ?? realm.name;
    this.onError = options.onError ?? (() => undefined);
    this.rules = options.rules === undefined ? undefined : flattenRules(options.rules);
    this.signals = new RemoteSignals(host.connection, {
      prefix: options.prefix,
      timeoutMs: options.timeoutMs,
      onError: (error) => this.onError(error),
      host: host.index,
    });
    checkName('realm', this.name);
    this.callers = realm.child({ name: 'network' });
    this.access = options.rules === undefined ? this.callers : new Vassal(this.callers, options.rules, `hosts of ${this.name}`);
    const boundary: RealmBoundary = {
      forward: (signal) => this.forward(signal),
      handlersChanged: (topic, count) => queueMicrotask(() => this.serve(topic, count)),
      proclamationChanged: (p, handle, live) => this.proclamationChanged(p, handle, live),
    };
    setBoundary(realm, boundary);
    this.cleanups.push(() => setBoundary(realm, undefined));
    this.cleanups.push(onWorldWake(realm, () => this.kick()));
    this.cleanups.push(host.on((event) => this.membership(event)));
    for (const [topic, count] of handlerTopics(realm)) this.serve(topic, count);
  }

  /** @internal */
  async start(bucket: string | undefined): Promise<void> {
    this.store = await ProclamationStore.open(this.host.connection, this.host.index, { bucket, onError: (error) => this.onError(error) });
    void this.followStatus();
    this.setStatus('connected');
    // Proclamations made before the binding are shown too.
    for (const { proclamation, handle } of pinnedProclamations(this.realm)) this.proclamationChanged(proclamation, handle, true);
    await this.watch();
  }

  /** Stops carrying the realm: its own proclamations are deleted from the bucket, other hosts' withdrawn here. */
  async unbind(): Promise<void> {
    await this.detach(true);
  }

  private async detach(deleteOwnKeys: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.serving.values()) stop();
    this.serving.clear();
    this.stopWatch?.();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.signals.close();
    if (!this.realm.stopped) {
      for (const mirror of this.mirrors.values()) mirror.realm.stop();
      this.callers.stop();
    }
    this.mirrors.clear();
    this.kick();
    if (deleteOwnKeys) await this.store?.purgeHost(this.name, this.host.index).catch((error: Error) => this.onError(error));
  }

  /**
   * Resolves once what this host serves and asserts has reached the server:
   * a host that says "ready" after it is answered by the others from then on.
   */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => queueMicrotask(resolve)); // handlers installed meanwhile are served
    await this.syncing;
    await this.store?.settled();
    await this.host.connection.flush();
  }

  // ---- signals

  private forward(signal: BoundarySignal): PromiseLike<unknown> {
    // A remote caller's signal that no handler here took is not sent out again:
    // it was routed to this host for a topic served here.
    if (this.closed || signal.origin === this.callers) return Promise.resolve(Empty);
    // A topic that is no subject token, or arguments that do not encode, cannot
    // cross: reported, and the sender resumes with Empty as for any unanswered signal.
    return this.signals.signal(this.name, signal.topic, ...signal.args).catch((error: Error) => {
      this.onError(new Error(`networked realm ${this.name}: #${signal.topic} cannot cross to other hosts: ${error.message}`));
      return Empty;
    });
  }

  /** Answer `topic` for other hosts while this host has handlers for it on the realm. */
  private serve(topic: string, count: number): void {
    if (this.closed) return;
    const serving = this.serving.get(topic);
    if (count > 0 && serving === undefined) {
      try {
        this.serving.set(topic, this.signals.handle(this.name, topic, (...args) => this.raise(topic, args)));
      } catch (error) {
        this.onError(error as Error); // a topic that is no subject token stays local
      }
    } else if (count === 0 && serving !== undefined) {
      serving();
      this.serving.delete(topic);
    }
  }

  /** A signal from another host: raised here through this host's rules. */
  private raise(topic: string, args: unknown[]): Promise<unknown> {
    const answer = this.access.signal(topic, ...args);
    this.kick();
    return answer;
  }

  // ---- proclamations

  private proclamationChanged(p: BoundaryProclamation, handle: object, live: boolean): void {
    if (this.closed || p.owner === this.callers || this.isMirror(p.owner)) return;
    if (live) this.exportTuple(p, handle);
    else this.withdraw(handle);
  }

  private isMirror(owner: Realm): boolean {
    for (const mirror of this.mirrors.values()) if (mirror.realm === owner) return true;
    return false;
  }

  /** Writes what other hosts may see of a local assertion (the ingress rules decide). */
  private exportTuple(p: { topic: string; args: readonly unknown[] }, handle: object): void {
    if (this.store === undefined || this.exported.has(handle)) return;
    const seen = this.visible({ kind: '$', topic: p.topic, args: p.args }, 'ingress');
    const sequences: number[] = [];
    for (const t of seen) {
      const sequence = this.nextSequence++;
      try {
        void this.store.put(this.name, sequence, t.topic, t.args);
        sequences.push(sequence);
      } catch (error) {
        this.onError(new Error(`networked realm ${this.name}: $${t.topic} stays on this host: its arguments do not encode (${(error as Error).message})`));
      }
    }
    this.exported.set(handle, sequences);
  }

  private withdraw(handle: object): void {
    const sequences = this.exported.get(handle);
    if (sequences === undefined) return;
    this.exported.delete(handle);
    for (const sequence of sequences) void this.store!.remove(this.name, sequence);
  }

  /** The tuples the rules let through in `direction` (everything without rules). */
  private visible(t: Tuple, direction: 'ingress' | 'egress'): Tuple[] {
    if (this.rules === undefined) return [t];
    return distinct(applyRules(this.rules, t, direction)).map((o) => o.tuple);
  }

  private async watch(): Promise<void> {
    if (this.closed || this.stopWatch !== undefined) return;
    const { stop, replayed } = await this.store!.watch(this.name, (change) => this.changed(change), () => {
      this.stopWatch = undefined;
      if (!this.closed && this.status === 'connected') void this.watch().catch((error: Error) => this.onError(error));
    });
    this.stopWatch = stop;
    await replayed;
  }

  private changed(change: ProclamationChange): void {
    if (this.closed || change.host === this.host.index) return;
    if (this.gone.has(change.host)) {
      if (change.type === 'put') void this.store!.purgeHost(this.name, change.host);
      return;
    }
    let mirror = this.mirrors.get(change.host);
    const existing = mirror?.shown.get(change.sequence);
    const text = change.type === 'put' ? Buffer.from(change.stored.buffer, change.stored.byteOffset, change.stored.byteLength).toString('base64') : undefined;
    // The same assertion again (a replay after a reconnect, a rewrite by sync): nothing changes.
    if (existing !== undefined && existing.text === text) return;
    if (existing !== undefined) {
      mirror!.shown.delete(change.sequence);
      for (const h of existing.handles) h.retract();
    }
    if (change.type === 'put') {
      if (mirror === undefined) {
        mirror = { realm: this.realm.child({ name: `host-${change.host}` }), shown: new Map() };
        this.mirrors.set(change.host, mirror);
      }
      const target = mirror;
      const tuples = this.visible({ kind: '$', topic: change.topic, args: change.args }, 'egress');
      const handles = target.realm.act(() => tuples.map((t) => this.realm.proclaim(t.topic, ...t.args)));
      target.shown.set(change.sequence, { text: text!, handles });
    }
    this.kick();
  }

  // ---- hosts and the connection

  private membership(event: MembershipEvent): void {
    if (event.type === 'joined') {
      this.gone.delete(event.host.index);
      return;
    }
    if (event.type === 'claim-lost') {
      // Another host holds this host's index now: the keys under it are no
      // longer this host's to write or delete. Stop carrying the realm.
      this.onError(new Error(`networked realm ${this.name}: host index ${event.index} was taken by another host; the realm is no longer bound`));
      void this.detach(false);
      return;
    }
    if (event.type !== 'lost' && event.type !== 'left') return;
    this.hostGone(event.index);
  }

  /** A host is lost or left: its pending signals resume with Empty, its proclamations are retracted here and deleted. */
  private hostGone(index: number): void {
    if (this.closed) return;
    this.gone.add(index);
    this.signals.hostLost(index);
    const mirror = this.mirrors.get(index);
    if (mirror !== undefined) {
      this.mirrors.delete(index);
      mirror.realm.stop();
      this.kick();
    }
    void this.store?.purgeHost(this.name, index).catch((error: Error) => this.onError(error));
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.host.connection.status()) {
      if (this.closed) return;
      if (status.type === 'disconnect') {
        this.store!.online = false;
        this.setStatus('disconnected');
      }
      if (status.type === 'reconnect') {
        this.store!.online = true;
        this.setStatus('connected');
        this.syncing = this.store!.sync(this.name).catch((error: Error) => this.onError(error));
        void this.watch().catch((error: Error) => this.onError(error));
      }
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.closed || this.realm.stopped) return;
    this.status = status;
    this.statusHandle?.retract();
    this.statusHandle = this.callers.act(() => this.realm.proclaim(CLUSTER_STATUS_TOPIC, status));
    this.kick();
  }

  /** Runs the World at the next microtask, unless it is running already. */
  private kick(): void {
    if (this.kicked) return;
    this.kicked = true;
    queueMicrotask(() => {
      this.kicked = false;
      const world = this.realm.world;
      if (world.scheduler.running) return;
      try {
        world.run();
      } catch (error) {
        this.onError(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}
