// input(reader): an asynchronous source (a file, stdin, a Node Readable, a Web
// stream, an async iterable).
//
// Its driver asks the chain how much it admits, reads at most that much (64 KiB
// chunks by default), and pushes it through `out>`. When the chain admits
// nothing it waits until the far side is writable again (`whenWritableAgain`), so
// however slow the sink, the source holds at most one chunk. What was read but
// not yet admitted is kept and sent first. When `out` ends (a `take` is
// satisfied, the output closed) the driver stops and closes the reader.
import { bytesHeld, takeHandedBack } from '../../engine/bytes.js';
import { chunk, define, value, type InstanceOf } from '../../engine/definition.js';
import type { Elements } from '../../engine/flowable.js';
import { registerDriver } from '../../engine/run.js';
import type { Reader } from './readers.js';

export const CHUNK_SIZE = 64 * 1024;

export const input = define('input', {
  ports: ['out'],
  params: { reader: value<Reader>(), chunkSize: value<number>() },
  state: {
    /** Read but not yet sent. */
    pending: (): Elements | null => null,
    at: () => 0,
    /** Bytes (or values) read so far. */
    read: () => 0,
    done: () => false,
  },
  onEnd: (s) => {
    // The reader went away: stop reading (a pending read settles and is dropped).
    void s.params.reader.close();
  },
})
  // Reads take only what was already read (a pull does not wait for the device).
  .admittance('<out', 'pending === null ? 0 : pending.length - at')
  .flow('<out', chunk((s, dest, offset, n) => {
    // Admitted, so something is pending.
    const pending = s.state.pending!;
    const { at } = s.state;
    if (dest instanceof Uint8Array && pending instanceof Uint8Array) dest.set(pending.subarray(at, at + n), offset);
    else for (let i = 0; i < n; i++) (dest as unknown[])[offset + i] = pending[at + i];
    advance(s, pending, at + n);
    return n;
  }));

type Input = InstanceOf<typeof input>;

function weight(xs: Elements): number {
  return xs instanceof Uint8Array ? xs.length : 0;
}

function advance(s: Input, pending: Elements, at: number): void {
  if (at < pending.length) {
    s.state.at = at;
    return;
  }
  bytesHeld(s.io).release(weight(pending));
  s.state.pending = null;
  s.state.at = 0;
}

/**
 * The driver. While one chunk goes downstream the next read is already under
 * way, but only for what the chain admits beyond the chunk the source holds:
 * admit(held + size) - held. So the source holds at most two chunks, and
 * never reads what the chain has not admitted.
 */
async function drive(s: Input): Promise<void> {
  const { reader, chunkSize: size } = s.params;
  const admit = s.entry('out>', 'admittance');
  const flow = s.entry('out>', 'flow');
  let next: Promise<Elements | null> | null = null;
  let eof = false;
  // Whether every piece of the pending chunk pushed so far came back from the
  // process it went to (engine/bytes.ts, handBack): then, once all of it has
  // gone, the reader may read into its memory again.
  let allHandedBack = true;
  const account = bytesHeld(s.io);
  const startRead = (want: number): void => {
    // The memory a read may fill counts from the moment it is asked for.
    const reserved = reader.bytes ? want : 0;
    account.hold(reserved);
    next = reader.read(want).finally(() => account.release(reserved));
    next.catch(() => undefined); // awaited below; this only marks it handled meanwhile
  };
  try {
    for (;;) {
      if (s.isEnded('out')) return;
      const { pending } = s.state;
      if (pending === null) {
        if (eof) {
          s.state.done = true;
          s.end('out');
          return;
        }
        if (!next) {
          const want = admit.ready()(size);
          if (want === 0) {
            await s.whenWritableAgain('out');
            continue;
          }
          startRead(want);
        }
        const got = await next!;
        next = null;
        if (got === null) {
          eof = true;
          continue;
        }
        if (got.length === 0) continue;
        s.state.read += got.length;
        account.hold(weight(got));
        s.state.pending = got;
        s.state.at = 0;
        allHandedBack = true;
        continue;
      }
      const { at } = s.state;
      const held = pending.length - at;
      if (!next && !eof) {
        const extra = admit.ready()(held + size) - held;
        if (extra > 0) startRead(Math.min(extra, size));
      }
      const k = admit.ready()(held);
      if (k === 0) {
        await s.whenWritableAgain('out');
        continue;
      }
      const reusable = reader.reuse !== undefined && pending instanceof Uint8Array;
      if (reusable) takeHandedBack(pending);
      flow.ready()(pending, at, k);
      if (reusable) {
        const by = takeHandedBack(pending);
        allHandedBack = allHandedBack && by !== undefined && by === s.peer('out')?.process;
      }
      advance(s, pending, at + k);
      if (reusable && allHandedBack && at + k === pending.length) reader.reuse!(pending as Uint8Array);
    }
  } finally {
    const { pending } = s.state;
    if (pending) bytesHeld(s.io).release(weight(pending));
    s.state.pending = null;
    await reader.close();
  }
}

registerDriver(input, drive);

/** Plain reference implementation: everything the reader gives, in order. */
export async function reference(reader: Reader): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let got = await reader.read(CHUNK_SIZE); got !== null; got = await reader.read(CHUNK_SIZE)) out.push(...got);
  return out;
}
