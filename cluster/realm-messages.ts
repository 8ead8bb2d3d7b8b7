// What a networked realm puts on the wire: signal requests and replies, and
// the proclamations stored in the key-value bucket. Their values go through
// the project's one value codec (transport/codec.ts), the one thread ports and
// snapshots use, so Maps, Sets, Dates, RegExps, errors, typed arrays, bigint,
// undefined, -0 and sparse arrays arrive as they left, and what the codec
// refuses (a function, a class instance, a symbol) is refused here with the
// same message, naming where it sits.
//
// Every message is one encoded run `[REALM_MESSAGE_FORMAT, body]`: the codec's
// own first byte tells its version, and the format number tells the layout of
// the body, so that a host reading a message it does not understand (another
// build, or bytes somebody else published on the subject) reports it with the
// subject instead of misreading it.
//
// Empty is a symbol, which the codec does not carry. Where the realm rules give
// it a meaning of its own (an argument, a reply, a proclaimed argument) it
// travels as the list of the positions that held it; an Empty nested inside a
// value is refused by the codec like any other symbol, as across threads.
import { checkCarriable, CodecFormatError, decodeValues, encodeValues } from '../transport/codec.js';
import { Empty } from '../realm/empty.js';

/** The layout of the message bodies below; a reader refuses any other. */
export const REALM_MESSAGE_FORMAT = 1;

/** A signal's arguments, Empty ones given by position. */
export interface SignalRequest {
  readonly kind: 'request';
  readonly args: readonly unknown[];
}
/** The answering host says who holds the signal, before it answers. */
export interface SignalAccepted {
  readonly kind: 'accepted';
  readonly host: number;
}
/** The answer: a value (undefined included), or Empty when unanswered. */
export type SignalReply = { readonly kind: 'reply'; readonly value: unknown } | { readonly kind: 'empty' };
/** A proclamation as stored under its key. */
export interface StoredProclamation {
  readonly kind: 'proclamation';
  readonly topic: string;
  readonly args: readonly unknown[];
}

export type RealmMessage = SignalRequest | SignalAccepted | SignalReply | StoredProclamation;

// On the wire a list of arguments is the arguments with each Empty replaced
// by undefined, and the positions of the Empty ones.
interface WireArgs {
  readonly values: unknown[];
  readonly empty: number[];
}

// Checked one by one first, so that a refusal names the argument as the
// caller knows it (`args[2].at`), not its place in the envelope.
function toWire(args: readonly unknown[], label: string): WireArgs {
  const empty: number[] = [];
  const values = args.map((a, i) => {
    if (a !== Empty) {
      checkCarriable(a, `${label}[${i}]`);
      return a;
    }
    empty.push(i);
    return undefined;
  });
  return { values, empty };
}

function fromWire(wire: unknown, what: string): unknown[] {
  const w = wire as Partial<WireArgs> | undefined;
  if (w === null || typeof w !== 'object' || !Array.isArray(w.values) || !Array.isArray(w.empty)) {
    throw new CodecFormatError(`${what} does not hold an argument list`);
  }
  const values = w.values;
  for (const i of w.empty) {
    if (!Number.isInteger(i) || (i as number) < 0 || (i as number) >= values.length) throw new CodecFormatError(`${what} marks Empty at no argument`);
    values[i as number] = Empty;
  }
  return values;
}

/** Encodes one realm message; throws UncarriableValueError naming `label` and the path of what does not cross. */
export function encodeRealmMessage(m: RealmMessage, label: string): Uint8Array {
  let body: unknown;
  switch (m.kind) {
    case 'request':
      body = { kind: m.kind, args: toWire(m.args, label) };
      break;
    case 'proclamation':
      body = { kind: m.kind, topic: m.topic, args: toWire(m.args, label) };
      break;
    case 'reply':
      // An Empty reply is its own kind, so a value is never a symbol here.
      if (m.value !== Empty) checkCarriable(m.value, label);
      body = m.value === Empty ? { kind: 'empty' } : m;
      break;
    default:
      body = m;
  }
  return encodeValues([REALM_MESSAGE_FORMAT, body], label);
}

/**
 * Decodes a realm message and checks it is of one of the `expected` kinds;
 * throws (CodecFormatError or the codec's own error) on anything else.
 */
export function decodeRealmMessage<K extends RealmMessage['kind']>(bytes: Uint8Array, expected: readonly K[]): Extract<RealmMessage, { kind: K }> {
  const run = decodeValues(bytes);
  if (run[0] !== REALM_MESSAGE_FORMAT) {
    throw new CodecFormatError(`realm message has format ${String(run[0])}; this build reads format ${REALM_MESSAGE_FORMAT}`);
  }
  const body = run[1] as Record<string, unknown> | undefined;
  const kind = body?.kind as K;
  if (body === null || typeof body !== 'object' || !expected.includes(kind)) {
    throw new CodecFormatError(`realm message is not ${expected.join(' or ')}`);
  }
  return checkBody(kind, body) as Extract<RealmMessage, { kind: K }>;
}

function checkBody(kind: RealmMessage['kind'], body: Record<string, unknown>): RealmMessage {
  switch (kind) {
    case 'request':
      return { kind, args: fromWire(body.args, 'signal request') };
    case 'proclamation':
      if (typeof body.topic !== 'string') throw new CodecFormatError('stored proclamation has no topic');
      return { kind, topic: body.topic, args: fromWire(body.args, 'stored proclamation') };
    case 'accepted':
      if (!Number.isInteger(body.host)) throw new CodecFormatError('signal acceptance names no host');
      return { kind, host: body.host as number };
    case 'reply':
      return { kind, value: body.value };
    case 'empty':
      return { kind };
  }
}

/** Why a message did not decode, for the report that names its subject. */
export function decodeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
