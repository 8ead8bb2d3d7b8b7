// jetstream-link: one connection whose two ends are on two hosts (two IO
// containers, usually two OS processes on two machines), carried by a NATS
// JetStream stream, through the seam of docs/transports.md:
//
//   host A                                            host B
//   ... -> map --in--> [writer stand-in] ==JetStream==> [reader stand-in] --out--> grep -> ...
//                       admits its publish window      fetches what it can admit,
//                       batches records into messages  acks after downstream committed
//
// Both ends agree on a connection name; its stream (PUSHBACK_PORT_<name>) has
// one subject per direction: `.data` (records and the end of stream) and
// `.back` (the reader's half-close). The reader reads `.data` through a durable
// pull consumer, so what it has not acknowledged survives it.
//
// Negotiated IO maps onto JetStream like this:
// - The writer's admittance is its publish window: records admitted and not yet
//   acknowledged by the server (PubAck) are bounded in count and bytes; an
//   acknowledgement frees room and tells the writers upstream to go on.
// - Records are batched into messages of up to about 1 MiB, numbered by
//   `Pb-Seq`, with `Nats-Msg-Id` = name + sequence, so a publish retried after a
//   lost acknowledgement is stored once (the server deduplicates it).
// - The reader fetches only what it can hold: the fetch's message and byte
//   limits are the free room of its window. It acknowledges a message only once
//   the fused chain downstream has taken every record of it: a reader killed
//   before that receives the message again from the durable consumer.
// - The reader delivers by `Pb-Seq`, not by arrival: a message that arrives
//   again (redelivery after a lost ack, a retried publish) is dropped and
//   acknowledged, one that arrives early waits for the ones before it.
//
// Where positions survive a crash: the writer's source position is in the
// stream itself (the last message's `Pb-Upto`), so a restarted writer resumes
// exactly after what the stream holds (`resumeFrom`) and publishes nothing
// twice. The reader's committed position is the consumer's ack floor (read at
// start, so the reader knows which `Pb-Seq` comes next); a sink whose effect
// leaves the host can keep its own position (`onCommitted`, `committedSeq`)
// next to its effect, which closes the last gap (see docs/cluster.md).
//
// What the stream keeps: the reader trims it as it goes (every
// `trimEveryMessages` commits), so a long-lived connection holds a bounded
// number of messages on the server, not all it ever carried. It deletes the
// data messages it has acknowledged, but keeps the one at its ack floor (its
// committed position is read from there at start) and the last
// 2 × MAX_IN_FLIGHT_MESSAGES messages of the stream (where a restarted writer
// looks for the highest `Pb-Seq`, see highestMessage). So both positions are
// found after a trim exactly as before it. Unacknowledged messages are never
// trimmed, and the `.back` subject (the half-close) is left alone.
import { admitWith, chunk, define } from '../engine/definition.js';
import { END, errorEnd, errorOf, standIn, type EndReason } from '../engine/ports.js';
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { entryOf } from '../jit/entries.js';
import { headers, nanos, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type Consumer,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { ClusterHost } from './membership.js';
import {
  BUFFER_HEADER,
  decodeBatch,
  decodeError,
  encodeBatch,
  encodeError,
  isMessageKind,
  KIND_HEADER,
  SEQ_HEADER,
  subjectsOf,
  UPTO_HEADER,
  type ConnectionSubjects,
  type DataKind,
  type MessageKind,
} from './port-messages.js';

/** The transport name the stand-ins record (ports.transportOf). */
export const JETSTREAM = 'jetstream';

const CONSUMER = 'reader';

/** The host at the other end of a connection was lost (membership said so). */
export class HostLostError extends Error {
  override name = 'HostLostError';
  readonly code = 'host-lost';
  constructor(readonly connection: string, readonly host: number) {
    super(`host-lost: host ${host} at the other end of connection "${connection}" was lost`);
  }
}

/** A message on a connection's stream that is not a message this module wrote. */
export class MessageDecodeError extends Error {
  override name = 'MessageDecodeError';
  constructor(readonly subject: string, readonly sequence: number, override readonly cause: unknown) {
    super(`message ${sequence} on ${subject} does not decode: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The two ends saw a gap or a conflict in the connection's numbering. */
export class ConnectionOrderError extends Error {
  override name = 'ConnectionOrderError';
}

/** Watches a far host: `lost` runs once when membership reports it lost. */
export interface FarHost {
  membership: ClusterHost;
  /** The far host's index (membership's HostRecord.index). */
  index: number;
}

function watchFarHost(far: FarHost | undefined, lost: () => void): () => void {
  if (far === undefined) return () => undefined;
  return far.membership.on((event) => {
    if (event.type === 'lost' && event.index === far.index) lost();
  });
}

/** The reading ends of each container, for offerAgain. */
const readersOf = new WeakMap<IO, Set<JetStreamReader>>();

/**
 * A process downstream of several readers (a zip) may take from one only after
 * another delivered, without telling the first; a process that kept a residual
 * may take again once its own output drained. After a delivery or an
 * acknowledgement, every reader of the container that holds records offers
 * them again, until nothing moves (as the loopback and the thread link do).
 */
function offerAgain(io: IO): void {
  const readers = readersOf.get(io);
  if (readers === undefined) return;
  for (let moved = true; moved;) {
    moved = false;
    for (const r of readers) {
      if (r.done) readers.delete(r);
      else if (r.holding && r.drain() > 0) moved = true;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the connection's stream unless it exists (both ends call this; either may come first). */
async function ensureStream(jsm: JetStreamManager, subjects: ConnectionSubjects): Promise<void> {
  try {
    await jsm.streams.info(subjects.stream);
  } catch {
    try {
      await jsm.streams.add({ name: subjects.stream, subjects: [subjects.data, subjects.back], storage: StorageType.File });
    } catch (error) {
      // The other end created it in between: fine if it is there now.
      await jsm.streams.info(subjects.stream).catch(() => {
        throw error;
      });
    }
  }
}

/** The last message on `subject`, or undefined when there is none. */
async function lastOn(jsm: JetStreamManager, stream: string, subject: string): Promise<MsgHdrs | undefined> {
  try {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    return m?.header ?? undefined;
  } catch (error) {
    if (/no message found/i.test(String((error as Error)?.message))) return undefined;
    throw error;
  }
}

/**
 * A writer has at most this many messages published and not acknowledged. A
 * publish retried after an outage can be stored after later messages that got
 * through, so the stream's last message is not always its highest `Pb-Seq`;
 * but the disorder stays among messages that were in flight together.
 */
const MAX_IN_FLIGHT_MESSAGES = 64;

/**
 * The headers of the data message with the highest `Pb-Seq`: found among the
 * last messages of the stream, as many as can have been in flight together
 * (twice the limit, as one flush may pass it by the messages of one batch).
 */
async function highestMessage(jsm: JetStreamManager, subjects: ConnectionSubjects): Promise<MsgHdrs | undefined> {
  const { state } = await jsm.streams.info(subjects.stream);
  let best: MsgHdrs | undefined;
  let bestSeq = -1;
  let scanned = 0;
  for (let q = state.last_seq; q >= state.first_seq && q > 0 && scanned < 2 * MAX_IN_FLIGHT_MESSAGES; q--) {
    const m = await jsm.streams.getMessage(subjects.stream, { seq: q }).catch(() => null);
    if (m === null || m.subject !== subjects.data) continue; // removed, or the half-close
    scanned++;
    const seq = Number(m.header?.get(SEQ_HEADER));
    if (!Number.isSafeInteger(seq)) return m.header; // not ours: refused by the caller, naming it
    if (seq > bestSeq) {
      bestSeq = seq;
      best = m.header;
    }
  }
  return best;
}

/** Data messages a trim keeps behind the end of the stream: the reach of highestMessage's scan. */
export const KEEP_BEHIND_LAST = 2 * MAX_IN_FLIGHT_MESSAGES;

/** Removes a connection's stream and its consumer, for example once both ends are done with it. */
export async function deleteConnection(connection: NatsConnection, name: string): Promise<boolean> {
  const jsm = await jetstreamManager(connection);
  return jsm.streams.delete(subjectsOf(name).stream).catch(() => false);
}

// ------------------------------------------------------------------ the writing end

export interface WriterOptions {
  /** Records admitted and not yet acknowledged by the server, at most (default 65 536). */
  windowRecords?: number;
  /** Encoded bytes published and not yet acknowledged, at most (default 16 MiB); one chunk may pass it. */
  windowBytes?: number;
  /** A message's payload at most (default 1 000 000 bytes, and never above the server's max_payload less headers). */
  maxMessageBytes?: number;
  /** How long a publish waits for the server's acknowledgement before it is retried (default 5 000 ms). */
  publishTimeoutMs?: number;
  /** End the writer's input with `host-lost` when this host is lost. */
  farHost?: FarHost;
  /** Called with every publish failure that will be retried (the server away, a timeout). */
  onRetry?: (error: unknown) => void;
  /** Test hook: called after message `seq` was handed to the client, before its acknowledgement is awaited. */
  afterPublish?: (seq: number) => void | Promise<void>;
}

interface OutMessage {
  seq: number;
  kind: MessageKind;
  payload: Uint8Array;
  records: number;
  headers: MsgHdrs;
  acked: boolean;
}

/** Estimated encoded size of one record, for deciding when a batch is full (the exact size is known once encoded). */
function estimate(x: unknown): number {
  if (typeof x === 'number') return 8;
  if (x instanceof Uint8Array) return x.length + 4;
  if (typeof x === 'string') return x.length + 2;
  return 32;
}

/** The writing end of a cross-host connection: a stand-in whose `in` admits the publish window. */
export class JetStreamWriter {
  readonly process: Process;
  /** Records of this connection the stream held when this end opened: the writing host's source resumes after them. */
  readonly resumeFrom: number;
  /** The stream already holds this connection's end of stream: nothing is to be written. */
  readonly complete: boolean;
  /** Resolves once the end of stream is stored (or the reader closed, or the writer failed). */
  readonly finished: Promise<void>;
  private finish!: () => void;
  private readonly js: JetStreamClient;
  private readonly windowRecords: number;
  private readonly windowBytes: number;
  private readonly maxMessageBytes: number;
  private readonly publishTimeoutMs: number;
  private seq: number;
  private upto: number;
  private batch: unknown[] = [];
  private batchBytes = 0;
  private flushScheduled = false;
  private readonly outstanding: OutMessage[] = [];
  private inFlightRecords = 0;
  private inFlightBytes = 0;
  private publishing = 0;
  private recovering = false;
  private resending = false;
  private refused = false;
  private stopped = false;
  private ending = false;
  private readonly unwatch: () => void;
  private back: Subscription | undefined;

  private constructor(
    io: IO,
    private readonly connection: NatsConnection,
    readonly name: string,
    private readonly subjects: ConnectionSubjects,
    resume: { seq: number; upto: number; complete: boolean; closed: boolean },
    private readonly options: WriterOptions,
  ) {
    this.js = jetstream(connection);
    this.windowRecords = options.windowRecords ?? 65_536;
    this.windowBytes = options.windowBytes ?? 16 << 20;
    const serverMax = connection.info?.max_payload ?? 1 << 20;
    this.maxMessageBytes = Math.min(options.maxMessageBytes ?? 1_000_000, serverMax - 4096);
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
    this.seq = resume.seq;
    this.upto = resume.upto;
    this.resumeFrom = resume.upto;
    this.complete = resume.complete;
    this.finished = new Promise((resolve) => (this.finish = resolve));
    this.process = new Process(io, jetstreamWriter, { link: this });
    standIn(this.process, JETSTREAM);
    io.pin(this.process);
    if (resume.complete || resume.closed) {
      this.stopped = true;
      this.finish();
    }
    this.unwatch = watchFarHost(options.farHost, () => this.fail(new HostLostError(name, options.farHost!.index)));
  }

  /** Opens the writing end of connection `name`: creates the stream if needed and finds where the stream is. */
  static async open(io: IO, connection: NatsConnection, name: string, options: WriterOptions = {}): Promise<JetStreamWriter> {
    const subjects = subjectsOf(name);
    const jsm = await jetstreamManager(connection);
    await ensureStream(jsm, subjects);
    const last = await highestMessage(jsm, subjects);
    const kind = last?.get(KIND_HEADER) ?? '';
    const resume = {
      seq: last === undefined ? 0 : Number(last.get(SEQ_HEADER)),
      upto: last === undefined ? 0 : Number(last.get(UPTO_HEADER)),
      complete: kind === 'end' || kind === 'error',
      closed: (await lastOn(jsm, subjects.stream, subjects.back))?.get(KIND_HEADER) === 'close',
    };
    if (!Number.isSafeInteger(resume.seq) || !Number.isSafeInteger(resume.upto)) {
      throw new ConnectionOrderError(`connection "${name}": the last message on ${subjects.data} carries no valid ${SEQ_HEADER}/${UPTO_HEADER}`);
    }
    const writer = new JetStreamWriter(io, connection, name, subjects, resume, options);
    writer.listenForClose();
    return writer;
  }

  /** Records published and not yet acknowledged, and records waiting in the batch. */
  get inFlight(): number {
    return this.inFlightRecords + this.batch.length;
  }

  private listenForClose(): void {
    if (this.stopped) return;
    this.back = this.connection.subscribe(this.subjects.back, {
      callback: (_error, msg) => {
        if (msg?.headers?.get(KIND_HEADER) === 'close') this.halfClosed();
      },
    });
  }

  /** @internal The stand-in's admittance: what the publish window has room for. */
  admit(n: number): number {
    const full = this.inFlightBytes >= this.windowBytes || this.outstanding.length >= MAX_IN_FLIGHT_MESSAGES;
    const room = this.stopped || this.ending || full ? 0 : this.windowRecords - this.inFlight;
    // Admitting less than asked counts as a refusal too: a writer keeping the rest
    // (a residual) waits for "writable again" before it offers it.
    if (room < n) this.refused = true;
    return Math.max(0, Math.min(n, room));
  }

  /** @internal The stand-in's flow: copies the records into the batch; a full batch is published now, the rest at the end of this turn. */
  send(xs: ArrayLike<unknown>, offset: number, n: number): number {
    // After the end of stream (or an error end) nothing more goes out: a step
    // that failed mid-flow may still hand over what followed the failure.
    if (this.stopped || this.ending) return n;
    for (let i = offset; i < offset + n; i++) {
      const x = xs[i];
      const size = estimate(x);
      // A record that would take the batch past a message's size goes into the
      // next one: encoding a batch only to find it too large and split it
      // copied every byte twice and sent half-size messages.
      if (this.batch.length > 0 && this.batchBytes + size > this.maxMessageBytes - 4) this.flush();
      this.batch.push(x);
      this.batchBytes += size;
    }
    if (this.batchBytes >= this.maxMessageBytes || this.batch.length >= 65_536) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return n;
  }

  /** @internal The stand-in's input ended: the batch goes out, then the end of stream with its reason. */
  sendEnd(why: EndReason): void {
    if (this.stopped || this.ending) return;
    this.flush();
    this.ending = true;
    if (why.reason === 'end') this.enqueue('end', new Uint8Array(0), 0, false);
    else this.enqueue('error', encodeError(errorOf(why) ?? new Error('the input was reset')), 0, false);
  }

  private flush(): void {
    if (this.batch.length === 0 || this.stopped) return;
    const records = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    try {
      this.publishRecords(records);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /** Encodes records into one message, or into several when the encoding is larger than a message may be. */
  private publishRecords(records: unknown[]): void {
    const encoded = encodeBatch(records, `connection ${this.name} records`);
    if (encoded.payload.length > this.maxMessageBytes) {
      if (records.length === 1) {
        throw new RangeError(`connection "${this.name}": a record of ${encoded.payload.length} encoded bytes is larger than a message may be (${this.maxMessageBytes})`);
      }
      const half = records.length >>> 1;
      this.publishRecords(records.slice(0, half));
      this.publishRecords(records.slice(half));
      return;
    }
    this.enqueue(encoded.kind, encoded.payload, records.length, encoded.buffers);
  }

  private enqueue(kind: MessageKind, payload: Uint8Array, records: number, buffers: boolean): void {
    this.seq += 1;
    this.upto += records;
    const h = headers();
    h.set(SEQ_HEADER, String(this.seq));
    h.set(KIND_HEADER, kind);
    h.set(UPTO_HEADER, String(this.upto));
    if (buffers) h.set(BUFFER_HEADER, '1');
    const m: OutMessage = { seq: this.seq, kind, payload, records, headers: h, acked: false };
    this.outstanding.push(m);
    this.inFlightRecords += records;
    this.inFlightBytes += payload.length;
    // While a failed publish is being retried, new messages wait: they go out in order after it.
    if (!this.recovering) this.publish(m);
  }

  private publishOnce(m: OutMessage): Promise<unknown> {
    const ack = this.js.publish(this.subjects.data, m.payload, {
      msgID: `${this.name}.${m.seq}`,
      headers: m.headers,
      timeout: this.publishTimeoutMs,
    });
    const hook = this.options.afterPublish;
    if (hook === undefined) return ack;
    return Promise.all([ack, hook(m.seq)]);
  }

  private publish(m: OutMessage): void {
    this.publishing++;
    this.publishOnce(m).then(
      () => {
        this.publishing--;
        m.acked = true;
        this.settle();
      },
      (error: unknown) => {
        this.publishing--;
        if (this.stopped) return;
        this.options.onRetry?.(error);
        this.recovering = true;
        this.settle();
      },
    );
  }

  /** Drops the acknowledged messages at the front; after a failure, retries in order once nothing is pending. */
  private settle(): void {
    while (this.outstanding.length > 0 && this.outstanding[0]!.acked) {
      const m = this.outstanding.shift()!;
      this.inFlightRecords -= m.records;
      this.inFlightBytes -= m.payload.length;
      if (m.kind === 'end' || m.kind === 'error') this.done();
    }
    if (this.recovering) {
      if (this.publishing === 0) void this.resend();
      return;
    }
    if (this.refused && !this.stopped && this.admit(1) > 0) {
      this.refused = false;
      if (this.process.isConnected('in')) this.process.writableAgain('in');
      offerAgain(this.process.io);
    }
  }

  /**
   * Publishes every unacknowledged message again, one at a time and in order,
   * until the server has acknowledged each (those it already stored come back as
   * duplicates): the stream keeps the connection's order across a server restart.
   */
  private async resend(): Promise<void> {
    if (this.resending) return;
    this.resending = true;
    let backoff = 100;
    try {
      for (;;) {
        const m = this.outstanding.find((o) => !o.acked);
        if (m === undefined || this.stopped) break;
        try {
          await this.publishOnce(m);
          m.acked = true;
          backoff = 100;
          this.recovering = false;
          this.settle();
          this.recovering = true;
        } catch (error) {
          if (this.stopped) return;
          this.options.onRetry?.(error);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 2_000);
        }
      }
    } finally {
      this.resending = false;
    }
    this.recovering = false;
    this.settle();
  }

  private done(): void {
    this.stopped = true;
    this.unwatch();
    this.back?.unsubscribe();
    this.finish();
  }

  /** The far reader stopped reading: nothing more is published, and the sources upstream stop. */
  private halfClosed(): void {
    if (this.stopped) return;
    this.done();
    this.batch = [];
    const p = this.process;
    if (p.isConnected('in') && !p.sentReason('in')) p.end('in');
  }

  /** Breaks the connection from this side: the writer's upstream ends with `error`. */
  fail(error: Error): void {
    if (this.stopped) return;
    this.done();
    this.batch = [];
    const p = this.process;
    if (p.isConnected('in') && !p.sentReason('in')) p.end('in', errorEnd(error));
  }
}

// ------------------------------------------------------------------ the reading end

export interface ReaderOptions {
  /** Messages this end holds at most: fetched and not yet taken downstream (default 64). */
  windowMessages?: number;
  /** Bytes this end holds at most (default 16 MiB); a fetch asks for as many messages of the largest size as fit. */
  windowBytes?: number;
  /** The largest message the writer sends (default 1 MiB), so that the byte window always admits one. */
  maxMessageBytes?: number;
  /** How long the server waits for an acknowledgement before delivering a message again (default 10 000 ms); set when the consumer is created. */
  ackWaitMs?: number;
  /** How long one fetch waits for messages (default 5 000 ms, at least 1 000); the client expects a heartbeat every half of it. */
  fetchExpiresMs?: number;
  /**
   * The last `Pb-Seq` this end's sink has committed by its own record (see
   * onCommitted); messages up to it are dropped. Default: what the consumer's
   * ack floor says.
   */
  committedSeq?: number;
  /** Called after downstream took every record of message `seq`, before it is acknowledged. */
  onCommitted?: (seq: number) => void;
  /** End the reader's output with `host-lost` when this host is lost and the stream holds nothing more. */
  farHost?: FarHost;
  /** Called with what went wrong and was handled (a message that did not decode, a failed fetch, a failed trim). */
  onError?: (error: unknown) => void;
  /**
   * Trim the stream after this many commits (default 64): delete the data
   * messages acknowledged, but the one at the ack floor and the last
   * KEEP_BEHIND_LAST of the stream. 0: never trim (the stream keeps everything
   * until the connection is deleted).
   */
  trimEveryMessages?: number;
}

interface Delivery {
  seq: number;
  msg: JsMsg;
  bytes: number;
  records: unknown[];
  taken: number;
  /** A control message: the end of stream it carries. */
  end?: EndReason;
}

/** The reading end of a cross-host connection: a stand-in whose `out` writes what the durable consumer delivers. */
export class JetStreamReader {
  readonly process: Process;
  private readonly windowMessages: number;
  private readonly windowBytes: number;
  private readonly minFetchBytes: number;
  private readonly fetchExpiresMs: number;
  /** In order, ready for downstream. */
  private readonly queue: Delivery[] = [];
  /** Arrived before a message with a lower `Pb-Seq`: waits for it. */
  private readonly early = new Map<number, Delivery>();
  /** Bytes of the messages in `queue`. */
  private queuedBytes = 0;
  /** The highest `Pb-Seq` whose records downstream has taken. */
  committed: number;
  /** The highest `Pb-Seq` received in order. */
  private received: number;
  private draining = false;
  private waiting = false;
  private closed = false;
  private started = false;
  private hostLost = false;
  /** onError was told that the output is not connected (once per disconnection). */
  private toldUnconnected = false;
  /** Messages asked for by the fetches under way and not yet arrived. */
  private reserved = 0;
  private readonly roomWaiters: Array<() => void> = [];
  private readonly unwatch: () => void;
  private readonly trimEvery: number;
  private commitsSinceTrim = 0;
  /** The trims asked for, one after another. */
  private trims: Promise<void> = Promise.resolve();
  private trimming = false;
  /** Stream sequences of the data messages this end acknowledged and has not removed yet, oldest first. */
  private acknowledged: number[] = [];

  private constructor(
    io: IO,
    private readonly connection: NatsConnection,
    readonly name: string,
    private readonly subjects: ConnectionSubjects,
    private readonly consumer: Consumer,
    committed: number,
    private readonly options: ReaderOptions,
  ) {
    this.windowMessages = options.windowMessages ?? 64;
    const maxMessage = (options.maxMessageBytes ?? 1 << 20) + 8192;
    this.windowBytes = Math.max(options.windowBytes ?? 16 << 20, maxMessage);
    this.minFetchBytes = maxMessage;
    this.fetchExpiresMs = Math.max(1_000, options.fetchExpiresMs ?? 5_000);
    this.trimEvery = options.trimEveryMessages ?? 64;
    this.committed = committed;
    this.received = committed;
    this.process = new Process(io, jetstreamReader, { link: this });
    standIn(this.process, JETSTREAM);
    io.pin(this.process);
    let readers = readersOf.get(io);
    if (readers === undefined) readersOf.set(io, (readers = new Set()));
    readers.add(this);
    this.unwatch = watchFarHost(options.farHost, () => {
      this.hostLost = true;
      void this.endOnceDrained();
    });
  }

  /** Opens the reading end of connection `name`: creates the stream and its durable consumer if needed. */
  static async open(io: IO, connection: NatsConnection, name: string, options: ReaderOptions = {}): Promise<JetStreamReader> {
    const subjects = subjectsOf(name);
    const jsm = await jetstreamManager(connection);
    await ensureStream(jsm, subjects);
    const windowMessages = options.windowMessages ?? 64;
    let info;
    try {
      info = await jsm.consumers.info(subjects.stream, CONSUMER);
    } catch {
      info = await jsm.consumers.add(subjects.stream, {
        durable_name: CONSUMER,
        filter_subject: subjects.data,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(options.ackWaitMs ?? 10_000),
        // Room for the window and for messages held back until a gap before them fills.
        max_ack_pending: Math.max(256, windowMessages * 4),
      });
    }
    // Everything up to the ack floor was committed downstream before: the next message is the one after it.
    let committed = options.committedSeq ?? 0;
    const floor = info.ack_floor.stream_seq;
    if (floor > 0) {
      const m = await jsm.streams.getMessage(subjects.stream, { seq: floor });
      const seq = Number(m?.header?.get(SEQ_HEADER));
      if (Number.isSafeInteger(seq)) committed = Math.max(committed, seq);
    }
    const consumer = await jetstream(connection).consumers.get(subjects.stream, CONSUMER);
    return new JetStreamReader(io, connection, name, subjects, consumer, committed, options);
  }

  /** Starts fetching (once). Call once the stand-in's `out` is connected. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.fetchLoop();
    void this.fetchLoop();
  }

  /** Delivered its end of stream, or its downstream stopped reading. */
  get done(): boolean {
    return this.closed || this.process.sentReason('out') !== undefined;
  }

  /** Holds records not yet taken downstream. */
  get holding(): boolean {
    return this.queue.length > 0;
  }

  /** The highest `Pb-Seq` received in order (held or already taken downstream). */
  get receivedSeq(): number {
    return this.received;
  }

  /**
   * @internal The stand-in's `out` was connected (again): what is held goes on.
   * Without this nothing would wake a reader whose downstream was disconnected
   * (or collected) while it held messages: its fetches wait for the room that
   * only a drain makes, and a drain waits for a downstream.
   */
  connected(): void {
    this.toldUnconnected = false;
    // After the connect has finished, not inside it: the entries downstream are compiled for the new connection then.
    queueMicrotask(() => {
      this.drain();
      offerAgain(this.process.io);
    });
  }

  /**
   * Fetches while there is room. Two of these run at once, so that the next
   * fetch is on its way while the messages of the last one are taken: they
   * share the room through `reserved` (messages asked for and not yet
   * arrived), and messages from both are put in order by `Pb-Seq`.
   */
  private async fetchLoop(): Promise<void> {
    let backoff = 100;
    while (!this.done) {
      // Messages held back for a gap do not count: the message that fills the gap
      // comes only through a fetch (the server bounds them by max_ack_pending).
      // The client takes one limit per fetch, and a byte limit that the next
      // message does not fit ends the fetch with an error (409) that drops what
      // the client had buffered; so the byte room is turned into a message count
      // at the largest message size, and the fetch asks for that many.
      const byBytes = Math.floor((this.windowBytes - this.queuedBytes) / this.minFetchBytes);
      const messages = Math.min(this.windowMessages - this.queue.length, byBytes) - this.reserved;
      if (messages <= 0) {
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
        continue;
      }
      this.reserved += messages;
      let got = 0;
      try {
        // The server ends a fetch by its expiry at the latest; should that end
        // never reach the client, this loop would wait for ever. So a fetch that
        // outlives its expiry by far is stopped (or, not started yet, abandoned
        // and stopped once it starts); what the client held comes again after
        // ackWaitMs.
        const limit = 2 * this.fetchExpiresMs + 5_000;
        const starting = this.consumer.fetch({ max_messages: messages, expires: this.fetchExpiresMs });
        let abandon: ReturnType<typeof setTimeout> | undefined;
        const batch = await Promise.race([
          starting,
          new Promise<never>((_, reject) => {
            abandon = setTimeout(() => {
              void starting.then((late) => late.stop(), () => undefined);
              reject(new Error(`connection "${this.name}": a fetch did not start within ${limit} ms`));
            }, limit);
          }),
        ]).finally(() => clearTimeout(abandon));
        const watchdog = setTimeout(() => void batch.stop(), limit);
        try {
          for await (const m of batch) {
            got++;
            this.reserved--;
            if (this.done) break;
            this.receive(m);
          }
        } finally {
          clearTimeout(watchdog);
        }
        backoff = 100;
      } catch (error) {
        if (this.done) break;
        this.options.onError?.(error);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2_000);
        continue;
      } finally {
        this.reserved -= messages - got;
        this.wakeRoom();
      }
      if (got === 0 && this.hostLost && this.queue.length === 0 && !this.done) {
        this.endOut(errorEnd(new HostLostError(this.name, this.options.farHost!.index)));
      }
    }
    this.unwatch();
    this.wakeRoom();
  }

  /**
   * The far host was lost: nothing more will be stored. Once the server has
   * nothing left for this consumer (no message undelivered, none delivered and
   * unacknowledged but those held back for a gap) and nothing is held here,
   * the output ends with `host-lost`. A fetch under way would only notice at
   * its expiry (seconds), so the consumer's state is asked for instead, until
   * it holds.
   */
  private async endOnceDrained(): Promise<void> {
    const jsm = await jetstreamManager(this.connection);
    while (!this.done) {
      try {
        const info = await jsm.consumers.info(this.subjects.stream, CONSUMER);
        if (info.num_pending === 0 && info.num_ack_pending <= this.early.size && this.queue.length === 0) {
          this.endOut(errorEnd(new HostLostError(this.name, this.options.farHost!.index)));
          return;
        }
      } catch (error) {
        this.options.onError?.(error);
      }
      await sleep(100);
    }
  }

  private wakeRoom(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** Takes one message from the consumer: decodes it, drops it if already committed, queues it in order. */
  private receive(m: JsMsg): void {
    let d: Delivery;
    try {
      d = this.decode(m);
    } catch (cause) {
      const error = new MessageDecodeError(m.subject, m.seq, cause);
      m.term();
      this.options.onError?.(error);
      this.endOut(errorEnd(error));
      return;
    }
    if (d.seq <= this.received || this.early.has(d.seq)) {
      // Already taken (a redelivery after a lost ack) or already waiting: acknowledge and drop.
      if (d.seq <= this.committed) m.ack();
      return;
    }
    if (d.seq !== this.received + 1) {
      this.early.set(d.seq, d);
      return;
    }
    this.enqueue(d);
    for (let next = this.early.get(this.received + 1); next !== undefined; next = this.early.get(this.received + 1)) {
      this.early.delete(next.seq);
      this.enqueue(next);
    }
    this.drain();
    offerAgain(this.process.io);
  }

  private enqueue(d: Delivery): void {
    this.queue.push(d);
    this.queuedBytes += d.bytes;
    this.received = d.seq;
  }

  private decode(m: JsMsg): Delivery {
    const h = m.headers;
    const seq = Number(h?.get(SEQ_HEADER));
    const kind = h?.get(KIND_HEADER) ?? '';
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`no valid ${SEQ_HEADER} header`);
    if (!isMessageKind(kind) || kind === 'close') throw new RangeError(`unknown ${KIND_HEADER} ${JSON.stringify(kind)}`);
    const bytes = m.data.length;
    if (kind === 'end') return { seq, msg: m, bytes, records: [], taken: 0, end: END };
    if (kind === 'error') return { seq, msg: m, bytes, records: [], taken: 0, end: errorEnd(decodeError(m.data)) };
    const records = decodeBatch(kind as DataKind, m.data, h?.get(BUFFER_HEADER) === '1');
    return { seq, msg: m, bytes, records, taken: 0 };
  }

  private commit(d: Delivery): void {
    this.committed = d.seq;
    this.queuedBytes -= d.bytes;
    this.options.onCommitted?.(d.seq);
    d.msg.ack();
    if (this.trimEvery > 0) this.acknowledged.push(d.msg.seq);
    if (this.trimEvery > 0 && ++this.commitsSinceTrim >= this.trimEvery && !this.trimming) {
      this.commitsSinceTrim = 0;
      void this.trimNow();
    }
  }

  /** Trims the stream now (after a trim under way); resolves when done. Failures go to onError. */
  trimNow(): Promise<void> {
    this.trimming = true;
    this.trims = this.trims.then(() => this.trim());
    return this.trims;
  }

  /**
   * Removes the data messages this end has acknowledged from the stream, but
   * the message at the ack floor (where a restarted reader reads its committed
   * position) and the last KEEP_BEHIND_LAST messages (where a restarted writer
   * finds its highest `Pb-Seq`). The ack floor is the server's, so a message
   * acknowledged here whose ack has not reached the server stays until the
   * next trim. A failed trim is reported and tried again at the next one.
   *
   * Messages are deleted one by one, not purged: a purge also clears the
   * consumer's record of delivered and unacknowledged messages (nats-server
   * 2.9), so a message delivered to a reader that is then killed would never
   * be delivered again. Deleting a message leaves the consumer alone.
   */
  private async trim(): Promise<void> {
    try {
      const jsm = await jetstreamManager(this.connection);
      const floor = (await jsm.consumers.info(this.subjects.stream, CONSUMER)).ack_floor.stream_seq;
      const { state } = await jsm.streams.info(this.subjects.stream);
      const below = Math.min(floor, state.last_seq - KEEP_BEHIND_LAST);
      this.acknowledged.sort((x, y) => x - y);
      let removed = 0;
      while (removed < this.acknowledged.length && this.acknowledged[removed]! < below) removed++;
      // All at once: one round trip for the lot rather than one per message.
      await Promise.all(this.acknowledged.slice(0, removed).map((seq) =>
        jsm.streams.deleteMessage(this.subjects.stream, seq, false).catch((error: Error) => {
          // Gone already: a redelivered message acknowledged twice, or a trim that failed half way.
          if (!/no message found|not found/i.test(error.message)) throw error;
        })));
      this.acknowledged = this.acknowledged.slice(removed);
    } catch (error) {
      // The connection closed under a trim (the host is shutting down): nothing went wrong.
      if (this.connection.isClosed()) return;
      this.options.onError?.(new Error(`connection "${this.name}": trimming ${this.subjects.stream} failed: ${(error as Error).message}`, { cause: error }));
    } finally {
      this.trimming = false;
    }
  }

  private endOut(why: EndReason): void {
    const p = this.process;
    if (p.isConnected('out') && p.sentReason('out') === undefined) p.end('out', why.reason === 'end' ? undefined : why);
    this.wakeRoom();
  }

  /** @internal The reader's downstream ended its side: read nothing more, and tell the writer (a half-close). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.early.clear();
    this.wakeRoom();
    const h = headers();
    h.set(KIND_HEADER, 'close');
    jetstream(this.connection).publish(this.subjects.back, new Uint8Array(0), { headers: h }).catch((error: unknown) => this.options.onError?.(error));
  }

  /**
   * Hands what was received downstream, as far as it admits; a message fully
   * taken is committed and acknowledged. Returns how many records moved.
   */
  drain(): number {
    if (this.draining || this.closed) return 0;
    const p = this.process;
    if (p.sentReason('out') !== undefined) return 0;
    if (!p.isConnected('out')) {
      // Never connected yet, or the process downstream was disconnected or
      // collected (an unpinned sink): the messages stay held and
      // unacknowledged, and `connected` goes on. Said once, as it looks like a hang.
      if (this.queue.length > 0 && !this.toldUnconnected) {
        this.toldUnconnected = true;
        this.options.onError?.(new Error(`connection "${this.name}": the reader's output is not connected; ${this.queue.length} message(s) held until it is`));
      }
      return 0;
    }
    this.draining = true;
    let moved = 0;
    try {
      while (this.queue.length > 0 && !p.isEnded('out')) {
        const d = this.queue[0]!;
        if (d.end !== undefined) {
          this.queue.shift();
          this.endOut(d.end);
          this.commit(d);
          break;
        }
        const left = d.records.length - d.taken;
        if (left > 0) {
          const k = entryOf(p, 'out>', 'admittance').ready()(left);
          if (k === 0) break;
          entryOf(p, 'out>', 'flow').ready()(d.records, d.taken, k);
          d.taken += k;
          moved += k;
        }
        if (d.taken === d.records.length) {
          this.queue.shift();
          this.commit(d);
          this.wakeRoom();
        }
      }
    } finally {
      this.draining = false;
    }
    if (this.queue.length > 0 && !p.isEnded('out') && !this.waiting) {
      // Downstream is full: go on when it says it can take more.
      this.waiting = true;
      void p.whenWritableAgain('out').then(() => {
        this.waiting = false;
        this.drain();
        offerAgain(p.io);
      });
    }
    return moved;
  }
}

/** The writer stand-in: admits what the publish window has room for; a flow batches records for publishing. */
export const jetstreamWriter = define('jetstreamWriter', {
  ports: ['in'],
  inputs: ['in'],
  params: ['link'],
  onEnd: (w) => {
    (w.params.link as JetStreamWriter).sendEnd(w.endReason('in') ?? errorEnd(new Error('the input was reset')));
  },
})
  .admittance('>in', admitWith((w, n) => (w.params.link as JetStreamWriter).admit(n)))
  .flow('>in', chunk((w, xs, offset, n) => (w.params.link as JetStreamWriter).send(xs as ArrayLike<unknown>, offset, n)));

/** The reader stand-in: a source whose records arrive from the durable consumer. */
export const jetstreamReader = define('jetstreamReader', {
  ports: ['out'],
  params: ['link'],
  onEnd: (r) => {
    (r.params.link as JetStreamReader).close();
  },
  onConnect: (r) => {
    (r.params.link as JetStreamReader).connected();
  },
});
