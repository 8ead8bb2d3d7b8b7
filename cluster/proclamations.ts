// Proclamations shared by the hosts of a cluster, in a JetStream key-value
// bucket (default "pushback_proclamations").
//
// One key per assertion: "<realm>.<host index>.<sequence>", the value its topic
// and arguments through the value codec (cluster/realm-messages.ts). The key names its owner (the host), so retraction is
// owner-scoped by construction: a host deletes only its own keys, and when a
// host is lost its peers delete every key under "<realm>.<index>." at once.
// Watching "<realm>.>" replays what is there first (the latest value of each
// key), then follows changes: a host that binds late sees what others asserted
// before it came.
//
// A host also remembers what it asserted. After the server was away (writes
// may have failed meanwhile) `sync()` makes the bucket match that memory again:
// it deletes its keys that are no longer asserted and writes the others.
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { decodeFailure, decodeRealmMessage, encodeRealmMessage } from './realm-messages.js';

export const DEFAULT_PROCLAMATION_BUCKET = 'pushback_proclamations';

export type ProclamationChange =
  | {
      readonly type: 'put';
      readonly host: number;
      readonly sequence: number;
      readonly topic: string;
      readonly args: unknown[];
      /** The stored bytes: equal for the same assertion written again (the encoding is deterministic). */
      readonly stored: Uint8Array;
    }
  | { readonly type: 'delete'; readonly host: number; readonly sequence: number };

export class ProclamationStore {
  /** What this host asserted, by realm and sequence: written again by sync(). */
  private readonly own = new Map<string, Map<number, Uint8Array>>();
  private writes: Promise<void> = Promise.resolve();
  /**
   * False while the connection is down: writes are skipped rather than each
   * waiting for its timeout in turn (a backlog that would hold up the sync);
   * what this host asserts is remembered, and sync() writes it when it is back.
   */
  online = true;

  private constructor(
    private readonly kv: KV,
    readonly bucket: string,
    private readonly host: number,
    private readonly onError: (error: Error) => void,
  ) {}

  static async open(connection: NatsConnection, host: number, options: { bucket?: string; onError?: (error: Error) => void } = {}): Promise<ProclamationStore> {
    const bucket = options.bucket ?? DEFAULT_PROCLAMATION_BUCKET;
    const kv = await new Kvm(connection).create(bucket, { history: 1 });
    return new ProclamationStore(kv, bucket, host, options.onError ?? (() => undefined));
  }

  /** Asserts `topic(args)` as this host's `sequence` in `realm`. Throws at once if the arguments do not encode. */
  put(realm: string, sequence: number, topic: string, args: readonly unknown[]): Promise<void> {
    const value = encodeRealmMessage({ kind: 'proclamation', topic, args }, `$${topic}`);
    let mine = this.own.get(realm);
    if (mine === undefined) this.own.set(realm, (mine = new Map()));
    mine.set(sequence, value);
    return this.write(`${realm}.${this.host}.${sequence}`, value);
  }

  /** Withdraws this host's `sequence` in `realm`. */
  remove(realm: string, sequence: number): Promise<void> {
    this.own.get(realm)?.delete(sequence);
    return this.write(`${realm}.${this.host}.${sequence}`, undefined);
  }

  /** Resolves when the writes issued so far are done. */
  settled(): Promise<void> {
    return this.writes;
  }

  /** Deletes every key of host `index` in `realm` (a lost host's, or this host's when it unbinds). */
  async purgeHost(realm: string, index: number): Promise<void> {
    if (index === this.host) this.own.delete(realm);
    for (const key of await this.keysOf(realm, index)) await this.write(key, undefined);
  }

  /** Makes the bucket hold exactly what this host asserts in `realm` (after an outage). */
  async sync(realm: string): Promise<void> {
    const mine = this.own.get(realm) ?? new Map<number, Uint8Array>();
    for (const key of await this.keysOf(realm, this.host)) {
      if (!mine.has(Number(key.slice(key.lastIndexOf('.') + 1)))) await this.write(key, undefined);
    }
    for (const [sequence, value] of mine) await this.write(`${realm}.${this.host}.${sequence}`, value);
  }

  /**
   * Replays the assertions in `realm` (every host's, this host's included),
   * then follows changes, until `stop` is called or the watch fails (the
   * server went away: `ended` is called; watch again). `replayed` resolves
   * once what was there when the watch started has been passed to `onChange`.
   */
  async watch(realm: string, onChange: (change: ProclamationChange) => void, ended: () => void): Promise<{ stop: () => void; replayed: Promise<void> }> {
    let done!: () => void;
    const replayed = new Promise<void>((resolve) => (done = resolve));
    // Nothing asserted: there is no last entry to wait for.
    if ((await this.keysOf(realm, '*')).length === 0) done();
    const entries = await this.kv.watch({ key: `${realm}.>` });
    let stopped = false;
    void (async () => {
      try {
        for await (const entry of entries) {
          this.observe(realm, entry, onChange);
          // The server counts what is left of the replay: none left, it is complete.
          if (entry.delta === 0) done();
        }
      } catch {
        // The consumer behind the watch failed: the caller watches again when the server is back.
      }
      done();
      if (!stopped) ended();
    })();
    return {
      stop: () => {
        stopped = true;
        entries.stop();
      },
      replayed,
    };
  }

  private observe(realm: string, entry: KvEntry, onChange: (change: ProclamationChange) => void): void {
    const subject = `$KV.${this.bucket}.${entry.key}`;
    const parts = entry.key.slice(realm.length + 1).split('.');
    const host = Number(parts[0]);
    const sequence = Number(parts[1]);
    if (parts.length !== 2 || !Number.isInteger(host) || !Number.isInteger(sequence)) {
      this.onError(new Error(`proclamation on ${subject}: key is not <realm>.<host>.<sequence>; ignored`));
      return;
    }
    if (entry.operation !== 'PUT') {
      onChange({ type: 'delete', host, sequence });
      return;
    }
    let stored;
    try {
      stored = decodeRealmMessage(entry.value, ['proclamation']);
    } catch (error) {
      this.onError(new Error(`proclamation on ${subject} (revision ${entry.revision}) does not decode: ${decodeFailure(error)}; ignored`));
      return;
    }
    onChange({ type: 'put', host, sequence, topic: stored.topic, args: stored.args as unknown[], stored: entry.value });
  }

  private async keysOf(realm: string, index: number | '*'): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(`${realm}.${index}.*`)) keys.push(key);
    return keys;
  }

  /**
   * Writes go one after another: the client may reorder two writes issued at
   * once, and an assertion retracted right after it was made must end deleted.
   */
  private write(key: string, value: Uint8Array | undefined): Promise<void> {
    const done = this.writes.then(() => this.writeNow(key, value));
    this.writes = done;
    return done;
  }

  private async writeNow(key: string, value: Uint8Array | undefined): Promise<void> {
    if (!this.online) return;
    try {
      if (value === undefined) await this.kv.delete(key);
      else await this.kv.put(key, value);
    } catch (error) {
      // The server is away: sync() writes again when it is back.
      this.onError(new Error(`proclamation ${key}: ${value === undefined ? 'delete' : 'write'} failed: ${(error as Error).message}`));
    }
  }
}
