// Bounded memory: a fast source into a deliberately slow sink never holds more
// than a fixed bound. Asserted on the engine's own byte account (its peak),
// never on timing: the slow device confirms one write per event-loop turn.
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bytesHeld } from '../../engine/bytes.js';
import { IO } from '../../index.js';
import { CHUNK_SIZE } from '../../processes/sources/input.js';
import { HIGH_WATER } from '../../processes/sinks/output.js';
import { counted, SlowWriter, textChunks } from './helpers.js';

const TOTAL = 16 << 20; // 16 MiB through, 256 times the source's chunk

/** What a chain may hold at most: the output's high-water mark plus a few chunks in framing and reading. */
const BOUND = HIGH_WATER + 4 * CHUNK_SIZE;

describe('bounded memory with a slow sink', () => {
  it('bytes straight through', async () => {
    const io = new IO();
    const stats = { made: 0 };
    const slow = new SlowWriter();
    await io.fromAsync(counted(TOTAL, CHUNK_SIZE, stats), { bytes: true }).write(slow).completion();
    expect(slow.received).toBe(TOTAL);
    expect(bytesHeld(io).peak).toBeLessThanOrEqual(BOUND);
    expect(slow.maxInFlight).toBeLessThanOrEqual(HIGH_WATER);
    expect(bytesHeld(io).buffered).toBe(0);
  });

  it('through lines, map and unlines', async () => {
    const io = new IO();
    const slow = new SlowWriter();
    await io.fromAsync(textChunks(TOTAL, CHUNK_SIZE), { bytes: true })
      .lines().map((l: string) => l.toUpperCase()).unlines()
      .write(slow).completion();
    const input = Buffer.concat([...textChunks(TOTAL, CHUNK_SIZE)]);
    expect(slow.text()).toBe(`${input.toString('latin1').toUpperCase()}${input[input.length - 1] === 10 ? '' : '\n'}`);
    // Framing adds at most a chunk of kept lines and a chunk of kept bytes.
    expect(bytesHeld(io).peak).toBeLessThanOrEqual(BOUND + 2 * CHUNK_SIZE);
    expect(bytesHeld(io).buffered).toBe(0);
  });

  it('with long lines, the bound grows by the longest line, not by the input', async () => {
    const io = new IO();
    const slow = new SlowWriter();
    // Only every 7th chunk has a newline: lines of about 7 chunks (448 KiB).
    await io.fromAsync(counted(TOTAL, CHUNK_SIZE, { made: 0 }), { bytes: true })
      .lines().unlines()
      .write(slow).completion();
    // The input does not end in a newline; unlines ends its last line with one.
    expect(slow.received).toBe(TOTAL + 1);
    const longest = 7 * CHUNK_SIZE;
    expect(bytesHeld(io).peak).toBeLessThanOrEqual(BOUND + 2 * CHUNK_SIZE + 2 * longest);
    expect(bytesHeld(io).buffered).toBe(0);
  });

  it('through tr', async () => {
    const io = new IO();
    const slow = new SlowWriter();
    await io.fromAsync(counted(TOTAL, CHUNK_SIZE, { made: 0 }), { bytes: true }).upper().write(slow).completion();
    expect(slow.received).toBe(TOTAL);
    expect(slow.text().slice(0, 4)).toBe('AAAA');
    expect(bytesHeld(io).peak).toBeLessThanOrEqual(BOUND);
  });

  it('the source reads no further ahead than the chain admits', async () => {
    const io = new IO();
    const stats = { made: 0 };
    const slow = new SlowWriter();
    const sink = io.fromAsync(counted(TOTAL, CHUNK_SIZE, stats), { bytes: true }).write(slow, { highWater: CHUNK_SIZE });
    const done = sink.completion();
    // Let the run go for a while, then look: made chunks are written, in flight, or held.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    const madeBytes = stats.made * CHUNK_SIZE;
    expect(madeBytes - slow.received).toBeLessThanOrEqual(CHUNK_SIZE + 2 * CHUNK_SIZE);
    await done;
    expect(slow.received).toBe(TOTAL);
  });

  it('a Node Writable with a small highWaterMark, and a Node Readable source', async () => {
    const io = new IO();
    let produced = 0;
    const readable = new Readable({
      highWaterMark: CHUNK_SIZE,
      read() {
        if (produced >= TOTAL) {
          this.push(null);
          return;
        }
        produced += CHUNK_SIZE;
        this.push(Buffer.alloc(CHUNK_SIZE, 0x62));
      },
    });
    let received = 0;
    let pending = 0;
    let maxPending = 0;
    const writable = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, callback) {
        pending += chunk.length;
        maxPending = Math.max(maxPending, pending);
        setImmediate(() => {
          received += chunk.length;
          pending -= chunk.length;
          callback();
        });
      },
    });
    await io.fromReadable(readable).toWritable(writable).completion();
    expect(received).toBe(TOTAL);
    expect(bytesHeld(io).peak).toBeLessThanOrEqual(BOUND);
    expect(maxPending).toBeLessThanOrEqual(HIGH_WATER + CHUNK_SIZE);
  });
});
