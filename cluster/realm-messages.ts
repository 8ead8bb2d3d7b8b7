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
// Empty is a symbol, which the codec does not carry. It travels as the list of
// the places that held it (an argument, a reply, or inside one: an array
// element, an object property, a Map value), and those places hold undefined
// on the wire. The caller's values are not changed: the containers on the way
// to an Empty are copied. An Empty as a Set entry or a Map key is refused by
// the codec like any other symbol (it cannot be put back without changing the
// Set or Map around it).
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

// One step from a container to a value in it: an array index, an object key,
// or the position of a Map entry (its value).
type Step = number | string | { readonly entry: number };

// On the wire a list of arguments is the arguments with each Empty replaced
// by undefined, and the paths of the Empty ones from the list.
interface WireArgs {
  readonly values: unknown[];
  readonly empty: Step[][];
}

// Checked one by one, so that a refusal names the argument as the caller
// knows it (`args[2].at`), not its place in the envelope.
// `single`: the list holds one value that `label` names by itself (a reply).
function toWire(args: readonly unknown[], label: string, single = false): WireArgs {
  const empty: Step[][] = [];
  const values = args.map((a, i) => {
    const path: Step[] = [i];
    const carried = withoutEmpty(a, path, empty, new Set());
    checkCarriable(carried, single ? label : `${label}[${i}]`);
    return carried;
  });
  return { values, empty };
}

/** `x` with every Empty in it replaced by undefined (containers on the way copied), each Empty's path added to `found`. */
function withoutEmpty(x: unknown, path: Step[], found: Step[][], open: Set<object>): unknown {
  if (x === Empty) {
    found.push([...path]);
    return undefined;
  }
  if (x === null || typeof x !== 'object' || open.has(x)) return x; // a cycle is walked once
  const proto = Object.getPrototypeOf(x) as unknown;
  const isArray = proto === Array.prototype;
  if (!isArray && proto !== Object.prototype && proto !== null && proto !== Map.prototype) return x;
  open.add(x);
  let copy: object | undefined;
  if (proto === Map.prototype) {
    let i = 0;
    let changed: Map<unknown, unknown> | undefined;
    for (const [k, v] of x as Map<unknown, unknown>) {
      path.push({ entry: i++ });
      const w = withoutEmpty(v, path, found, open);
      path.pop();
      if (w !== v) (changed ??= new Map(x as Map<unknown, unknown>)).set(k, w);
    }
    copy = changed;
  } else {
    for (const k of Object.keys(x)) {
      const v = (x as Record<string, unknown>)[k];
      if (v !== Empty && (v === null || typeof v !== 'object')) continue;
      path.push(isArray && /^(0|[1-9]\d*)$/.test(k) ? Number(k) : k);
      const w = withoutEmpty(v, path, found, open);
      path.pop();
      if (w === v) continue;
      // A copy that keeps an array's holes and a null prototype; keys are defined, never assigned (`__proto__`).
      copy ??= isArray ? (x as unknown[]).slice() : Object.defineProperties(Object.create(proto as object | null) as object, Object.getOwnPropertyDescriptors(x));
      Object.defineProperty(copy, k, { value: w, writable: true, enumerable: true, configurable: true });
    }
  }
  open.delete(x);
  return copy ?? x;
}

function fromWire(wire: unknown, what: string): unknown[] {
  const w = wire as Partial<WireArgs> | undefined;
  if (w === null || typeof w !== 'object' || !Array.isArray(w.values) || !Array.isArray(w.empty)) {
    throw new CodecFormatError(`${what} does not hold an argument list`);
  }
  const values = w.values;
  for (const path of w.empty as unknown[]) {
    if (!Array.isArray(path) || path.length === 0 || !putEmpty(values, path as Step[])) {
      throw new CodecFormatError(`${what} marks Empty at no value (${JSON.stringify(path)})`);
    }
  }
  return values;
}

/** Puts Empty at `path` from `root`; false when the path leads nowhere. */
function putEmpty(root: unknown, path: readonly Step[]): boolean {
  let at = root;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const last = i === path.length - 1;
    if (at instanceof Map) {
      if (typeof step !== 'object' || step === null || !Number.isInteger(step.entry)) return false;
      const entry = [...at.entries()][step.entry];
      if (entry === undefined) return false;
      if (last) at.set(entry[0], Empty);
      else at = entry[1];
    } else if (at !== null && typeof at === 'object' && (typeof step === 'number' || typeof step === 'string')) {
      if (!Object.hasOwn(at, step)) return false;
      if (last) Object.defineProperty(at, step, { value: Empty, writable: true, enumerable: true, configurable: true });
      else at = (at as Record<string, unknown>)[step];
    } else {
      return false;
    }
  }
  return true;
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
      // An Empty reply is its own kind; an Empty inside a value travels by path, as in arguments.
      body = m.value === Empty ? { kind: 'empty' } : { kind: m.kind, value: toWire([m.value], label, true) };
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
      return { kind, value: fromWire(body.value, 'signal reply')[0] };
    case 'empty':
      return { kind };
  }
}

/** Why a message did not decode, for the report that names its subject. */
export function decodeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
