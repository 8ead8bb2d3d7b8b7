// Networked realm signals: a signal raised on one host and handled on another
// travels as a NATS request and its reply. As in a local realm, a signal nobody
// answers resumes its sender with Empty: no responder on the subject, a reply
// that does not come within the timeout, a handler that fails, and a reply that
// does not decode all end that way, so a sender never waits for ever.
//
// Subjects are "<prefix>.<realm>.<topic>". Realm and topic names are checked
// once, where they enter (handle / signal), to be plain subject tokens: a dot,
// a space or a wildcard in a name would change which handlers a subject reaches.
// Values travel as JSON for now (the value codec replaces it), Empty as a
// marker of its own, so that `null` and `undefined`-free values stay values.
import type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';
import { Empty } from '../realm/empty.js';

export interface RemoteSignalOptions {
  /** Subject prefix shared by the hosts of one cluster (default "pushback.signal"). */
  prefix?: string;
  /** A signal not answered within this many ms resumes with Empty (default 5 000). */
  timeoutMs?: number;
  /** Told about handler failures and requests that do not decode; the sender gets Empty either way. */
  onError?: (error: Error) => void;
}

export type RemoteHandler = (...args: unknown[]) => unknown;

const NAME = /^[A-Za-z0-9_-]{1,128}$/;

function checkName(kind: string, name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new RangeError(`remote signal: ${kind} name ${JSON.stringify(name)} must be 1..128 of A-Z a-z 0-9 _ -`);
  }
  return name;
}

/** Reply bodies: a value, undefined (which JSON cannot carry as a value), or Empty. */
type Reply = { value: unknown } | { undefined: true } | { empty: true };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (x: unknown): Uint8Array => encoder.encode(JSON.stringify(x));

export class RemoteSignals {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly onError: (error: Error) => void;

  constructor(
    private readonly connection: NatsConnection,
    options: RemoteSignalOptions = {},
  ) {
    this.prefix = options.prefix ?? 'pushback.signal';
    for (const part of this.prefix.split('.')) checkName('prefix', part);
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.onError = options.onError ?? (() => undefined);
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
    let reply: Reply = { empty: true };
    try {
      let args: unknown;
      try {
        args = JSON.parse(decoder.decode(msg.data));
      } catch {
        throw new Error(`remote signal on ${subject}: request does not decode as JSON`);
      }
      if (!Array.isArray(args)) throw new Error(`remote signal on ${subject}: request is not an argument list`);
      const value = await handler(...args);
      if (value === undefined) reply = { undefined: true };
      else if (value !== Empty) reply = { value };
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
    let body: Uint8Array;
    try {
      body = encode(reply);
    } catch (error) {
      this.onError(new Error(`remote signal on ${subject}: reply does not encode: ${(error as Error).message}`));
      body = encode({ empty: true });
    }
    msg.respond(body);
  }

  /** Raises `topic(...args)` in `realm` on whichever host handles it; resumes with the reply or Empty. */
  async signal(realm: string, topic: string, ...args: unknown[]): Promise<unknown> {
    const subject = this.subject(realm, topic);
    const body = encode(args);
    let msg: Msg;
    try {
      msg = await this.connection.request(subject, body, { timeout: this.timeoutMs });
    } catch {
      // No responder, a timeout, or the connection gone: unanswered, as locally.
      return Empty;
    }
    try {
      const reply = JSON.parse(decoder.decode(msg.data)) as Reply;
      if ('value' in reply) return reply.value;
      return 'undefined' in reply ? undefined : Empty;
    } catch {
      this.onError(new Error(`remote signal on ${subject}: reply does not decode`));
      return Empty;
    }
  }
}
