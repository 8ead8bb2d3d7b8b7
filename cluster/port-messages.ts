// What one cross-host connection carries in its JetStream stream: numbered
// messages, each a batch of records or one control record, and how they are
// encoded.
//
// Every message on the data subject has three headers: `Pb-Seq` (the
// connection's own message number, 1, 2, …, never reused), `Pb-Kind` (how the
// payload is encoded, or which control record it is) and `Pb-Upto` (how many
// records the writer had sent once this message is counted: the writing
// host's source position, which a restarted writer resumes from). The message
// id the server deduplicates on (`Nats-Msg-Id`) is the connection name and
// `Pb-Seq`, so a publish retried after a lost acknowledgement is stored once.
//
// Payloads: numbers travel as typed runs (int32 or float64, little-endian, as
// the ring records of transport/records.ts), byte chunks as their bytes with a
// length table, everything else through the value codec (transport/codec.ts).
import { decodeValues, encodeValues } from '../transport/codec.js';
import { decodeError, encodeError } from '../transport/records.js';

export type DataKind = 'i32' | 'f64' | 'bytes' | 'values';
export type ControlKind = 'end' | 'error' | 'close';
export type MessageKind = DataKind | ControlKind;

export const SEQ_HEADER = 'Pb-Seq';
export const KIND_HEADER = 'Pb-Kind';
export const UPTO_HEADER = 'Pb-Upto';
/** Set on a `bytes` message whose chunks were Node Buffers, so that they arrive as Buffers. */
export const BUFFER_HEADER = 'Pb-Buffer';

const KINDS = new Set<string>(['i32', 'f64', 'bytes', 'values', 'end', 'error', 'close']);

export function isMessageKind(s: string): s is MessageKind {
  return KINDS.has(s);
}

/** A connection name must be one subject token, so that it cannot reach another connection's subjects. */
export function checkConnectionName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) {
    throw new RangeError(`cluster: connection name ${JSON.stringify(name)} must be 1-200 characters of A-Z a-z 0-9 _ -`);
  }
}

export interface ConnectionSubjects {
  stream: string;
  /** Writer to reader: records and the end of stream. */
  data: string;
  /** Reader to writer: the half-close. */
  back: string;
}

export function subjectsOf(name: string): ConnectionSubjects {
  checkConnectionName(name);
  return { stream: `PUSHBACK_PORT_${name}`, data: `pushback.port.${name}.data`, back: `pushback.port.${name}.back` };
}

export interface EncodedBatch {
  kind: DataKind;
  payload: Uint8Array;
  buffers: boolean;
}

function isInt32(x: number): boolean {
  return (x | 0) === x && !Object.is(x, -0);
}

/** Encodes a non-empty run of records, choosing the narrowest faithful form. */
export function encodeBatch(xs: readonly unknown[], label: string): EncodedBatch {
  let ints = true;
  let numbers = true;
  let bytes = true;
  let buffers = true;
  let byteTotal = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x === 'number') {
      bytes = false;
      if (ints && !isInt32(x)) ints = false;
      continue;
    }
    numbers = false;
    if (!bytes) break;
    const proto = x === null || typeof x !== 'object' ? undefined : Object.getPrototypeOf(x);
    if (proto === Buffer.prototype) byteTotal += (x as Buffer).length;
    else if (proto === Uint8Array.prototype) {
      buffers = false;
      byteTotal += (x as Uint8Array).length;
    } else {
      bytes = false;
      break;
    }
  }
  if (numbers) {
    const run = ints ? Int32Array.from(xs as readonly number[]) : Float64Array.from(xs as readonly number[]);
    return { kind: ints ? 'i32' : 'f64', payload: new Uint8Array(run.buffer, run.byteOffset, run.byteLength), buffers: false };
  }
  if (bytes) {
    // [count: u32][length: u32] x count, then the chunks back to back.
    const table = 4 + 4 * xs.length;
    const payload = new Uint8Array(table + byteTotal);
    const view = new DataView(payload.buffer);
    view.setUint32(0, xs.length, true);
    let at = table;
    for (let i = 0; i < xs.length; i++) {
      const chunk = xs[i] as Uint8Array;
      view.setUint32(4 + 4 * i, chunk.length, true);
      payload.set(chunk, at);
      at += chunk.length;
    }
    return { kind: 'bytes', payload, buffers };
  }
  return { kind: 'values', payload: encodeValues(xs, label), buffers: false };
}

/** The records of a data message (a plain array, as a downstream chunk). Throws on a payload that does not fit its kind. */
export function decodeBatch(kind: DataKind, payload: Uint8Array, buffers: boolean): unknown[] {
  switch (kind) {
    case 'i32':
    case 'f64': {
      const width = kind === 'i32' ? 4 : 8;
      if (payload.length % width !== 0) throw new RangeError(`a ${kind} run of ${payload.length} bytes is not a whole number of elements`);
      // Copied into a buffer of its own: the payload may sit at any offset in the client's read buffer.
      const copy = new Uint8Array(payload).buffer;
      return Array.from(kind === 'i32' ? new Int32Array(copy) : new Float64Array(copy));
    }
    case 'bytes': {
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      const count = view.getUint32(0, true);
      let at = 4 + 4 * count;
      if (at > payload.length) throw new RangeError(`a bytes message announces ${count} chunks but holds ${payload.length} bytes`);
      const out = new Array<unknown>(count);
      for (let i = 0; i < count; i++) {
        const length = view.getUint32(4 + 4 * i, true);
        if (at + length > payload.length) throw new RangeError(`bytes chunk ${i} runs past the end of the message`);
        // A copy, so that a chunk does not hold on to the client's read buffer (a Buffer's slice would share it).
        const chunk = Uint8Array.prototype.slice.call(payload, at, at + length);
        out[i] = buffers ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk;
        at += length;
      }
      return out;
    }
    case 'values':
      return decodeValues(payload);
  }
}

export { decodeError, encodeError };
