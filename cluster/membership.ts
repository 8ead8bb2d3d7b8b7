// Joining a cluster: a host claims a free 20-bit host id in a JetStream
// key-value bucket, keeps it alive with a heartbeat, and watches the bucket to
// learn the other hosts and to notice when one is lost.
//
// One key per host index ("host.<index>"). A claim is a create-if-absent, which
// the server decides atomically (expected last subject sequence 0), so two
// hosts never hold one id; the loser of a race moves on to the next free index.
// The heartbeat is a revision-checked update of the host's own key: it fails
// if anyone else wrote the key since, so a host can tell "my write went
// through while I was cut off" (the value carries its owner token) from "my id
// was taken" (another owner).
//
// The bucket's max age is the loss timeout: a key not refreshed within it is
// removed by the server, which frees the id for a new host. Version 2.9 of the
// server removes expired keys silently, so every host also judges its peers by
// its own clock: a peer not heard of for the loss timeout is lost. A host judges
// only while it is connected; after a reconnect every peer gets a fresh window,
// since their heartbeats could not reach it either.
import { hostId, MAX_HOST_INDEX, type HostId } from '../engine/address.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { connectToCluster, type ConnectOptions } from './connect.js';

export interface JoinOptions extends ConnectOptions {
  /** The key-value bucket holding host claims (default "pushback_hosts"). */
  bucket?: string;
  /** A host not heard of for this long is lost and its id freed (default 8 000 ms). */
  lostAfterMs?: number;
  /** How often a host refreshes its claim (default a third of lostAfterMs). */
  heartbeatMs?: number;
}

/** What a host says about itself in its claim. */
export interface HostRecord {
  /** Host index, 1..MAX_HOST_INDEX (0 stays the single-machine default). */
  index: number;
  name: string;
  machine: string;
  pid: number;
  /** Random per join: tells this host's own writes from another holder's. */
  owner: string;
}

export type MembershipEvent =
  | { type: 'joined'; host: HostRecord }
  | { type: 'left'; index: number }
  | { type: 'lost'; index: number }
  /** This host's claim was written again after it had lapsed during an outage. */
  | { type: 'reclaimed'; index: number }
  /** This host's id was claimed by another host while this one was away: it may no longer act as that host. */
  | { type: 'claim-lost'; index: number; by: HostRecord | undefined };

export const DEFAULT_BUCKET = 'pushback_hosts';
export const DEFAULT_LOST_AFTER_MS = 8_000;
const KEY_PREFIX = 'host.';
const keyOf = (index: number): string => `${KEY_PREFIX}${index}`;

/** The server said the key was written by someone else since (or exists already, for a create). */
function isConflict(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === 10071 || /wrong last sequence/i.test(error.message));
}

function decode(entry: KvEntry): HostRecord | undefined {
  try {
    const record = entry.json<HostRecord>();
    return typeof record?.owner === 'string' && Number.isInteger(record.index) ? record : undefined;
  } catch {
    return undefined; // not a claim written by this module: ignored, never fatal
  }
}

export class ClusterHost {
  /** Host id in its final address position. */
  readonly id: HostId;
  private readonly peersByIndex = new Map<number, { record: HostRecord; lastSeen: number }>();
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private judgeTimer: ReturnType<typeof setInterval> | undefined;
  private beating = false;
  private lastJudged = performance.now();
  private connected = true;
  private closed = false;
  private watchStop: (() => void) | undefined;

  private constructor(
    readonly connection: NatsConnection,
    /** The key-value bucket this host's claim is in: it names the cluster. */
    readonly bucket: string,
    private readonly kv: KV,
    readonly record: HostRecord,
    private revision: number,
    readonly lostAfterMs: number,
    readonly heartbeatMs: number,
  ) {
    this.id = hostId(record.index);
  }

  get index(): number {
    return this.record.index;
  }

  /** The other hosts currently alive, by index. */
  peers(): Map<number, HostRecord> {
    return new Map([...this.peersByIndex].map(([index, peer]) => [index, peer.record]));
  }

  /**
   * Reads every claim in the bucket now. The watch replays the claims there
   * were at join only as its messages arrive; after this, peers() holds every
   * host whose claim is in the bucket at this moment.
   */
  async refresh(): Promise<void> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${KEY_PREFIX}>`)) keys.push(key);
    for (const key of keys) {
      const entry = await this.kv.get(key);
      if (entry !== null && !this.closed) this.observe(entry);
    }
  }

  /** Calls `listener` on every membership event; returns a function that stops it. */
  on(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  static async join(options: JoinOptions): Promise<ClusterHost> {
    const lostAfterMs = options.lostAfterMs ?? DEFAULT_LOST_AFTER_MS;
    const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(lostAfterMs / 3));
    if (!(lostAfterMs > 0) || !(heartbeatMs > 0) || heartbeatMs >= lostAfterMs) {
      throw new RangeError(`cluster: heartbeatMs (${heartbeatMs}) must be positive and below lostAfterMs (${lostAfterMs})`);
    }
    const bucket = options.bucket ?? DEFAULT_BUCKET;
    const connection = await connectToCluster(options);
    try {
      const kv = await new Kvm(connection).create(bucket, { history: 1, ttl: lostAfterMs });
      const status = await kv.status();
      if (status.ttl !== lostAfterMs) {
        throw new Error(`cluster: bucket "${bucket}" frees host ids after ${status.ttl} ms, but this host was configured with lostAfterMs ${lostAfterMs}`);
      }
      const owner = randomUUID();
      const base = { name: options.name ?? `${hostname()}:${process.pid}`, machine: hostname(), pid: process.pid, owner };
      const { record, revision } = await claim(kv, base);
      const host = new ClusterHost(connection, bucket, kv, record, revision, lostAfterMs, heartbeatMs);
      await host.start();
      return host;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** Leaves on purpose: the claim is deleted (peers see "left" at once) and the connection closed. */
  async leave(): Promise<void> {
    if (this.closed) return;
    this.stop();
    try {
      await this.kv.delete(keyOf(this.index), { previousSeq: this.revision });
    } catch {
      // Taken by another host or the server is gone: the claim lapses by itself.
    }
    await this.connection.close().catch(() => undefined);
  }

  /** Stops heartbeats and watching without deleting the claim, as a crash would; peers notice after lostAfterMs. */
  async abandon(): Promise<void> {
    this.stop();
    await this.connection.close().catch(() => undefined);
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.judgeTimer);
    this.watchStop?.();
  }

  private emit(event: MembershipEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private async start(): Promise<void> {
    void this.followStatus();
    await this.watch();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.heartbeatMs);
    // Judged ten times per timeout, so a crash is noticed within 1.1 x lostAfterMs
    // (8.8 s by default), whatever the heartbeat interval.
    this.judgeTimer = setInterval(() => this.judge(), this.judgeEveryMs);
  }

  private get judgeEveryMs(): number {
    return Math.max(1, Math.floor(this.lostAfterMs / 10));
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') {
        this.connected = true;
        const now = performance.now();
        for (const peer of this.peersByIndex.values()) peer.lastSeen = now;
        void this.beat();
        if (this.watchStop === undefined && !this.closed) void this.watch().catch(() => undefined);
      }
    }
  }

  /** Replays the current claims, then follows changes; restarts after the server comes back. */
  private async watch(): Promise<void> {
    const entries = await this.kv.watch({ key: `${KEY_PREFIX}>` });
    this.watchStop = () => entries.stop();
    void (async () => {
      try {
        for await (const entry of entries) this.observe(entry);
      } catch {
        // The consumer behind the watch failed (the server went away): watch again below or on reconnect.
      }
      this.watchStop = undefined;
      if (!this.closed && this.connected) void this.watch().catch(() => undefined);
    })();
  }

  private observe(entry: KvEntry): void {
    const index = Number(entry.key.slice(KEY_PREFIX.length));
    if (entry.operation !== 'PUT') {
      if (this.peersByIndex.delete(index)) this.emit({ type: 'left', index });
      return;
    }
    const record = decode(entry);
    if (record === undefined) return;
    if (record.owner === this.record.owner) return;
    if (index === this.index) {
      this.losePeerClaim(record);
      return;
    }
    const known = this.peersByIndex.get(index);
    this.peersByIndex.set(index, { record, lastSeen: performance.now() });
    if (known === undefined || known.record.owner !== record.owner) {
      if (known !== undefined) this.emit({ type: 'lost', index });
      this.emit({ type: 'joined', host: record });
    }
  }

  private judge(): void {
    if (!this.connected || this.closed) return;
    const now = performance.now();
    // A tick much later than due means this host's own thread was held up (a
    // long synchronous step): the heartbeats that came meanwhile are still
    // unread, so this tick judges nobody; the next one comes after they are read.
    const late = now - this.lastJudged > 3 * this.judgeEveryMs;
    this.lastJudged = now;
    if (late) return;
    for (const [index, peer] of this.peersByIndex) {
      if (now - peer.lastSeen > this.lostAfterMs) {
        this.peersByIndex.delete(index);
        this.emit({ type: 'lost', index });
      }
    }
  }

  private losePeerClaim(by: HostRecord | undefined): void {
    if (this.closed) return;
    this.stop();
    this.emit({ type: 'claim-lost', index: this.index, by });
  }

  /** One heartbeat; overlapping beats are skipped (a slow server must not pile them up). */
  private async beat(): Promise<void> {
    if (this.beating || this.closed || !this.connected) return;
    this.beating = true;
    const key = keyOf(this.index);
    const value = JSON.stringify(this.record);
    try {
      this.revision = await this.kv.update(key, value, this.revision);
    } catch (error) {
      if (isConflict(error) && !this.closed) await this.recover(key, value);
      // Anything else (a timeout, the server away) is retried by the next beat.
    } finally {
      this.beating = false;
    }
  }

  /** The key moved under us: ours after an unacknowledged write, lapsed during an outage, or taken. */
  private async recover(key: string, value: string): Promise<void> {
    const entry = await this.kv.get(key).catch(() => undefined);
    if (entry === undefined) return; // could not tell: next beat
    const holder = entry === null || entry.operation !== 'PUT' ? undefined : decode(entry);
    if (holder?.owner === this.record.owner) {
      this.revision = entry!.revision;
      return;
    }
    if (holder !== undefined) return this.losePeerClaim(holder);
    try {
      this.revision = await this.kv.create(key, value);
      this.emit({ type: 'reclaimed', index: this.index });
    } catch (error) {
      if (isConflict(error)) {
        const taken = await this.kv.get(key).catch(() => null);
        this.losePeerClaim(taken && taken.operation === 'PUT' ? decode(taken) : undefined);
      }
    }
  }
}

/** Claims the lowest free index; a lost race marks that index taken and tries the next. */
async function claim(kv: KV, base: Omit<HostRecord, 'index'>): Promise<{ record: HostRecord; revision: number }> {
  const taken = new Set<number>();
  for await (const key of await kv.keys(`${KEY_PREFIX}>`)) taken.add(Number(key.slice(KEY_PREFIX.length)));
  for (let index = 1; index <= MAX_HOST_INDEX; index++) {
    if (taken.has(index)) continue;
    const record: HostRecord = { index, ...base };
    try {
      const revision = await kv.create(keyOf(index), JSON.stringify(record));
      return { record, revision };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  throw new Error(`cluster: no free host id in 1..${MAX_HOST_INDEX}`);
}

/** Joins the cluster at `options.servers`: claims a host id and keeps it alive until leave(). */
export function joinCluster(options: JoinOptions): Promise<ClusterHost> {
  return ClusterHost.join(options);
}
