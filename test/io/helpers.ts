// Shared helpers for the IO tests: a seeded generator, byte sources cut into
// given chunk sizes, and writers whose pace the test decides (never a clock).
import type { Done, Writer } from '../../processes/sinks/writers.js';

/** mulberry32: every failure can be replayed from its seed. */
export { mulberry32 as rng } from '../../engine/scheduler.js';

export const int = (r: () => number, n: number): number => Math.floor(r() * n);

/** Cuts bytes into chunks of random sizes between 1 and max. */
export function cut(bytes: Uint8Array, r: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const k = 1 + int(r, max);
    out.push(bytes.slice(at, at + k));
    at += k;
  }
  return out;
}

/** Waits for one turn of the event loop (after pending I/O callbacks). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A device that confirms one write per turn of the event loop: far slower than
 * any in-memory source. It records what it got and the most it ever held.
 */
export class SlowWriter implements Writer {
  readonly bytes = true;
  readonly name = 'slow';
  readonly got: Uint8Array[] = [];
  received = 0;
  inFlight = 0;
  maxInFlight = 0;
  ended = false;
  private queue: { chunk: Uint8Array; done: Done }[] = [];
  private pumping = false;

  write(chunk: unknown, done: Done): void {
    const bytes = chunk as Uint8Array;
    this.inFlight += bytes.length;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.queue.push({ chunk: bytes, done });
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length > 0) {
      await turn();
      const { chunk, done } = this.queue.shift()!;
      this.got.push(Uint8Array.from(chunk));
      this.received += chunk.length;
      this.inFlight -= chunk.length;
      done();
    }
    this.pumping = false;
  }

  end(done: Done): void {
    this.ended = true;
    done();
  }

  onError(): void {}

  text(): string {
    return Buffer.concat(this.got).toString('utf8');
  }
}

/** A device that goes away (EPIPE) after taking `limit` bytes, like `| head -c N`. */
export class ClosingWriter implements Writer {
  readonly bytes = true;
  readonly name = 'closing';
  received = 0;
  writes = 0;
  constructor(private readonly limit: number) {}

  write(chunk: unknown, done: Done): void {
    this.writes++;
    if (this.received >= this.limit) {
      setImmediate(() => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
      return;
    }
    this.received += (chunk as Uint8Array).length;
    setImmediate(() => done());
  }

  end(done: Done): void {
    done();
  }

  onError(): void {}
}

/** Byte chunks of `size` from a generator that counts how many were taken. */
export function* counted(total: number, size: number, stats: { made: number }, fill = 0x61): Generator<Uint8Array> {
  for (let at = 0; at < total; at += size) {
    stats.made++;
    const chunk = new Uint8Array(Math.min(size, total - at)).fill(fill);
    if ((at / size) % 7 === 6) chunk[chunk.length - 1] = 10;
    yield chunk;
  }
}

/** Text in chunks of `size` bytes: numbered lines of about 80 characters, cut anywhere. */
export function* textChunks(total: number, size: number): Generator<Uint8Array> {
  let text = '';
  let n = 0;
  let made = 0;
  while (made < total) {
    while (text.length < size) text += `line ${n++} ${'x'.repeat(70)}\n`;
    const k = Math.min(size, total - made);
    yield Buffer.from(text.slice(0, k), 'latin1');
    text = text.slice(k);
    made += k;
  }
}
