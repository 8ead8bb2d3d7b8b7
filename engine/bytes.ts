// The engine's own count of bytes held in memory by processes of one IO
// container: bytes read but not yet admitted downstream, partial lines, output
// waiting for a device. Tests assert bounded memory on this counter (its peak),
// never on timing.
import type { IO } from './io.js';

export class ByteAccount {
  /** Bytes held right now. */
  buffered = 0;
  /** The most ever held at once. */
  peak = 0;

  hold(n: number): void {
    this.buffered += n;
    if (this.buffered > this.peak) this.peak = this.buffered;
  }

  release(n: number): void {
    this.buffered -= n;
  }

  /** Starts a new peak measurement from what is held now. */
  resetPeak(): void {
    this.peak = this.buffered;
  }
}

const accounts = new WeakMap<IO, ByteAccount>();

/** The byte account of an IO container. */
export function bytesHeld(io: IO): ByteAccount {
  let account = accounts.get(io);
  if (!account) {
    account = new ByteAccount();
    accounts.set(io, account);
  }
  return account;
}

// Ownership of byte memory. A reader that allocates the memory it fills marks
// it as fresh: nobody else holds it, so a byte process that receives it (tr)
// may change it in place instead of copying. Memory from elsewhere (a user's
// buffers given to fromAsync) is never marked, and is never changed.
const fresh = new WeakSet<ArrayBufferLike>();

/** Marks memory that was just allocated and is handed over whole. */
export function markFresh(bytes: Uint8Array): Uint8Array {
  fresh.add(bytes.buffer);
  return bytes;
}

/** True when `bytes` lies in memory marked fresh (its receiver may change it). */
export function isFresh(bytes: Uint8Array): boolean {
  return fresh.has(bytes.buffer);
}

// Memory handed back. A receiver of fresh memory that keeps no view of it once
// its flow returns (it copied the little it keeps) may hand it back; the source
// that made it may then read into it again, which spares a new allocation and
// its page faults on every read. A source takes memory back only from the one
// process it sent it to, and only when every piece it sent came back, so memory
// that went on further (a copy to branches) is never reused.
const handedBack = new WeakMap<ArrayBufferLike, object>();

/** Says that `by` received `bytes` and keeps no view of their memory. */
export function handBack(bytes: Uint8Array, by: object): void {
  if (fresh.has(bytes.buffer)) handedBack.set(bytes.buffer, by);
}

/** Who handed the memory of `bytes` back since the last call, if anyone (and forgets it). */
export function takeHandedBack(bytes: Uint8Array): object | undefined {
  const by = handedBack.get(bytes.buffer);
  if (by !== undefined) handedBack.delete(bytes.buffer);
  return by;
}
