// Networked realm signals: a signal raised on one host and handled on another
// travels as a NATS request and its reply. As in a local realm, a signal nobody
// answers resumes its sender with Empty: no responder on the subject, a reply
// that does not come within the timeout, a handler that fails, a reply that
// does not decode, and a handling host that is lost while it holds the signal
// all end that way, so a sender never waits for ever.
//
// Subjects are "<prefix>.<realm>.<topic>". Realm and topic names are checked
// once, where they enter (handle / signal), to be plain subject tokens: a dot,
// a space or a wildcard in a name would change which handlers a subject reaches.
// Requests and replies travel through the value codec (cluster/realm-messages.ts):
// what crosses threads crosses hosts; Empty as a marker of its own.
//
// A handling host that knows its host index first answers "accepted by host
// <index>", then the reply. The sender keeps its pending signals by the host
// that accepted them, so when membership reports that host lost, they resume
// with Empty at once instead of at the timeout. Replies come to one inbox
// subscription per RemoteSignals (not one per request), and a request nobody
// subscribes to is answered by the server itself with a "no responders"
// status, so an unroutable signal resumes at once too.
import { createInbox, type NatsConnection, type Msg, type Subscription } from '@nats-io/transport-node';
import { Empty } from '../realm/empty.js';
import { decodeFailure, decodeRealmMessage, encodeRealmMessage } from './realm-messages.js';

export interface RemoteSignalOptions {
  /** Subject prefix shared by the hosts of one cluster (default "pushback.signal"). */
  prefix?: string;
  /** A signal not answered within this many ms resumes with Empty (default 5 000). */
  timeoutMs?: number;
  /** Told about handler failures and requests that do not decode; the sender gets Empty either way. */
  onError?: (error: Error) => void;
  /** This host's index: handlers then say which host accepted a signal, so that its loss can answer it (see hostLost). */
  host?: number;
}

export type RemoteHandler = (...args: unknown[]) => unknown;

const NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Refuses a name that is not a plain subject token (a dot or a wildcard would reach other handlers). */
export function checkName(kind: string, name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new RangeError(`remote signal: ${kind} name ${JSON.stringify(name)} must be 1..128 of A-Z a-z 0-9 _ -`);
  }
  return name;
}

interface Pending {
  readonly subject: string;
  readonly resolve: (value: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  /** The host that accepted the signal, once it said so. */
  host: number | undefined;
}

/** A "no responders" status from the server: nobody subscribes to the subject. */
const NO_RESPONDERS = 503;

const EMPTY_REPLY = encodeRealmMessage({ kind: 'empty' }, 'reply');

export class RemoteSignals {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly onError: (error: Error) => void;
  private readonly host: number | undefined;
  private readonly pending = new Map<string, Pending>();
  private inbox: { prefix: string; subscription: Subscription } | undefined;
  private nextToken = 0;

  constructor(
    private readonly connection: NatsConnection,
    options: RemoteSignalOptions = {},
  ) {
    this.prefix = options.prefix ?? 'pushback.signal';
    for (const part of this.prefix.split('.')) checkName('prefix', part);
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.onError = options.onError ?? (() => undefined);
    this.host = options.host;
  }

  /** Signals sent and not answered yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  private subject(realm: string, topic: string): string {
    return `${this.prefix}.${checkName('realm', realm)}.${checkName('topic', topic)}`;
  }

  /**
   * Answers `realm`'s signals on `topic` from this host: the handler's return
   * value (or what its promise resolves to) is the reply. Returns a function
   * that stops answering. Several hosts answering one topic share its signals:
   * each signal reaches one of them (a queue group).
   */
  handle(realm: string, topic: string, handler: RemoteHandler): () => void {
    const subject = this.subject(realm, topic);
    const subscription: Subscription = this.connection.subscribe(subject, {
      queue: subject,
      callback: (error, msg) => {
        if (error !== null) return this.onError(error);
        void this.answer(subject, msg, handler);
      },
    });
    return () => subscription.unsubscribe();
  }

  private async answer(subject: string, msg: Msg, handler: RemoteHandler): Promise<void> {
    let reply: unknown = Empty;
    if (this.host !== undefined) msg.respond(encodeRealmMessage({ kind: 'accepted', host: this.host }, 'acceptance'));
    try {
      let args: unknown[];
      try {
        args = decodeRealmMessage(msg.data, ['request']).args as unknown[];
      } catch (error) {
        throw new Error(`remote signal on ${subject}: request does not decode: ${decodeFailure(error)}`, { cause: error });
      }
      reply = await handler(...args);
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
    let body: Uint8Array;
    try {
      body = encodeRealmMessage({ kind: 'reply', value: reply }, 'reply');
    } catch (error) {
      this.onError(new Error(`remote signal on ${subject}: reply does not encode: ${(error as Error).message}`));
      body = EMPTY_REPLY;
    }
    msg.respond(body);
  }

  /** Raises `topic(...args)` in `realm` on whichever host handles it; resumes with the reply or Empty. */
  async signal(realm: string, topic: string, ...args: unknown[]): Promise<unknown> {
    const subject = this.subject(realm, topic);
    const body = encodeRealmMessage({ kind: 'request', args }, 'args');
    const inbox = this.openInbox();
    const token = String(this.nextToken++);
    return new Promise<unknown>((resolve) => {
      // No reply within the timeout (or the connection gone meanwhile): unanswered, as locally.
      const timer = setTimeout(() => this.finish(token, Empty), this.timeoutMs);
      this.pending.set(token, { subject, resolve, timer, host: undefined });
      try {
        this.connection.publish(subject, body, { reply: `${inbox.prefix}.${token}` });
      } catch {
        this.finish(token, Empty); // the connection is closed
      }
    });
  }

  /**
   * The host with this index is lost: every signal it accepted and has not
   * answered resumes with Empty now. Returns how many did.
   */
  hostLost(index: number): number {
    let count = 0;
    for (const [token, pending] of [...this.pending]) {
      if (pending.host !== index) continue;
      this.finish(token, Empty);
      count++;
    }
    return count;
  }

  /** Stops receiving replies; every pending signal resumes with Empty. */
  close(): void {
    for (const token of [...this.pending.keys()]) this.finish(token, Empty);
    this.inbox?.subscription.unsubscribe();
    this.inbox = undefined;
  }

  private finish(token: string, value: unknown): void {
    const pending = this.pending.get(token);
    if (pending === undefined) return;
    this.pending.delete(token);
    clearTimeout(pending.timer);
    pending.resolve(value);
  }

  private openInbox(): { prefix: string; subscription: Subscription } {
    if (this.inbox !== undefined) return this.inbox;
    const prefix = createInbox();
    const subscription = this.connection.subscribe(`${prefix}.*`, {
      callback: (error, msg) => {
        if (error !== null) return this.onError(error);
        this.received(msg.subject.slice(prefix.length + 1), msg);
      },
    });
    return (this.inbox = { prefix, subscription });
  }

  private received(token: string, msg: Msg): void {
    const pending = this.pending.get(token);
    if (pending === undefined) return; // answered already (timeout, loss): a late reply is dropped
    if (msg.headers?.code === NO_RESPONDERS) return this.finish(token, Empty);
    let reply;
    try {
      reply = decodeRealmMessage(msg.data, ['accepted', 'reply', 'empty']);
    } catch (error) {
      this.onError(new Error(`remote signal on ${pending.subject}: reply does not decode: ${decodeFailure(error)}`));
      return this.finish(token, Empty);
    }
    if (reply.kind === 'accepted') {
      pending.host = reply.host;
      return;
    }
    this.finish(token, reply.kind === 'reply' ? reply.value : Empty);
  }
}
