// The ring on one thread: both ends in the test, so every step is
// deterministic. What crosses a real worker is in ring-worker.test.ts.
import { describe, expect, it } from 'vitest';
import { DATA_OFFSET, FrameKind, GRANTED, LAST_PIECE, RELEASED, WRITTEN, createRing, resetRing } from '../../transport/ring-layout.js';
import { RingReader } from '../../transport/ring-reader.js';
import { ConnectionClosedError, CreditExceededError, RingWriter } from '../../transport/ring-writer.js';
import { nextSeq, type Received } from '../../transport/records.js';

function pair(capacity = 1024, credit?: number, grant: 'auto' | 'manual' = 'auto'): { writer: RingWriter; reader: RingReader } {
  const ring = createRing(capacity, credit);
  return { writer: new RingWriter(ring, 'test ring'), reader: new RingReader(ring, { name: 'test ring', grant }) };
}

/** Reads everything there is now. */
function drain(reader: RingReader): Received[] {
  const out: Received[] = [];
  for (let r = reader.poll(); r; r = reader.poll()) {
    out.push(r);
    if (r.kind === 'end') break;
  }
  return out;
}

describe('the ring, one thread', () => {
  it('carries every kind of chunk, numbered, in order', async () => {
    const { writer, reader } = pair(4096);
    await writer.send(new Float64Array([1.5, -0, NaN]));
    await writer.send(new Int32Array([1, -2]));
    await writer.send([1, 2, 3]);
    await writer.send([1.5, 2]);
    await writer.send([-0]);
    await writer.send(new Uint8Array([0, 255]));
    await writer.send(['a', { b: [1n] }, undefined]);
    await writer.send([]);
    await writer.end();
    const got = drain(reader);
    expect(got.map((r) => (r.kind === 'end' ? r.kind : `${r.seq}:${r.kind}`))).toEqual([
      '1:float64', '2:int32', '3:int32', '4:float64', '5:float64', '6:bytes', '7:values', '8:values', 'end',
    ]);
    expect(got[0]).toMatchObject({ data: new Float64Array([1.5, -0, NaN]) });
    expect(Object.is((got[0] as { data: Float64Array }).data[1], -0)).toBe(true);
    expect(Object.is((got[4] as { data: Float64Array }).data[0], -0)).toBe(true);
    expect(got[2]).toMatchObject({ data: new Int32Array([1, 2, 3]) });
    expect(got[5]).toMatchObject({ data: new Uint8Array([0, 255]) });
    expect((got[6] as { data: unknown[] }).data).toStrictEqual(['a', { b: [1n] }, undefined]);
    expect(got[8]).toEqual({ kind: 'end', reason: 'end' });
    // The end is kept: asking again gives it again, never a hang.
    expect(reader.poll()).toEqual({ kind: 'end', reason: 'end' });
  });

  it('splits a chunk larger than the ring into pieces and puts it back whole', async () => {
    const { writer, reader } = pair(256);
    const big = Float64Array.from({ length: 1000 }, (_, i) => i * 0.5);
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const values = Array.from({ length: 300 }, (_, i) => `line ${i}`);
    const got: Received[] = [];
    const reading = (async () => {
      for (;;) {
        const r = await reader.next();
        got.push(r);
        expect(reader.fill()).toBeLessThanOrEqual(256);
        if (r.kind === 'end') return;
      }
    })();
    await writer.send(big);
    await writer.send(bytes);
    await writer.send(values);
    await writer.end();
    await reading;
    expect(got).toHaveLength(4);
    expect(got[0]).toEqual({ kind: 'float64', seq: 1, data: big });
    expect(got[1]).toEqual({ kind: 'bytes', seq: 2, data: bytes });
    expect(got[2]).toEqual({ kind: 'values', seq: 3, data: values });
  });

  it('admits what the credit holds, commits exactly that, and refuses a write larger than the credit', () => {
    const { writer, reader } = pair(1024);
    const chunk = writer.prepare(new Float64Array(500));
    // One frame: 16 bytes of header, then 8 bytes a number.
    expect(writer.admittance(chunk)).toBe((1024 - 16) / 8);
    expect(() => writer.flow(chunk, 127)).toThrow(CreditExceededError);
    expect(() => writer.flow(chunk, 127)).toThrow(/127 float64 values .* exceeds the 1024 bytes of credit the reader has granted/);
    writer.flow(chunk, 126);
    expect(writer.credit()).toBe(0);
    expect(writer.admittance(chunk)).toBe(0);
    expect(() => writer.flow(chunk, 1)).toThrow(CreditExceededError);
    expect(reader.fill()).toBe(1024);
    expect(reader.poll()).toBeUndefined(); // a piece is not a chunk, but reading it frees its space
    expect(reader.fill()).toBe(0);
    expect(writer.credit()).toBe(1024);
    expect(writer.admittance(chunk)).toBe(126); // one frame at most: the rest comes in further pieces
  });

  it('a lending reader hands out a view of the ring and frees it on the next call, not before', async () => {
    const ring = createRing(1024);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring, { lend: true });
    await writer.send(new Float64Array([1, 2, 3]));
    await writer.send(new Uint8Array([4, 5]));
    await writer.send(['not lent']);
    const first = reader.poll() as Extract<Received, { kind: 'float64' }>;
    expect(first.data).toEqual(new Float64Array([1, 2, 3]));
    expect(first.data.buffer).toBe(ring); // no copy
    const held = reader.fill();
    expect(held).toBeGreaterThan(0); // still lent: its space is not free yet
    const second = reader.poll() as Extract<Received, { kind: 'bytes' }>;
    expect(second.data.buffer).toBe(ring);
    expect(reader.fill()).toBeLessThan(held); // the first is freed now
    const third = reader.poll() as Extract<Received, { kind: 'values' }>;
    expect(third.data).toEqual(['not lent']); // values are decoded into fresh objects
    expect(reader.poll()).toBeUndefined();
    expect(reader.fill()).toBe(0);
    // The default reader copies: its chunks are its own.
    const other = pair();
    await other.writer.send(new Float64Array([6]));
    const own = other.reader.poll() as Extract<Received, { kind: 'float64' }>;
    expect(own.data.buffer).not.toBe(other.writer.sab);
    expect(other.reader.fill()).toBe(0);
  });

  it('a refused write leaves the writer as it was', () => {
    const { writer, reader } = pair(256);
    const big = writer.prepare(new Float64Array(100));
    expect(() => writer.flow(big, 100)).toThrow(CreditExceededError);
    // The refused chunk was not begun: another may go first, and is chunk 1.
    const small = writer.prepare([7, 8]);
    writer.flow(small, 2);
    expect(reader.poll()).toEqual({ kind: 'int32', seq: 1, data: new Int32Array([7, 8]) });
    writer.flow(big, writer.admittance(big));
    expect(() => writer.flow(big, 100)).toThrow(RangeError);
  });

  it('wraps around the end of the ring with a pad frame, never across it', async () => {
    const { writer, reader } = pair(256);
    let next = 0;
    const seen: number[] = [];
    for (let round = 0; round < 50; round++) {
      // Sizes that do not divide the ring, so frames land at every offset.
      const xs = Array.from({ length: 1 + (round % 7) * 3 }, () => next++ + 0.5);
      await writer.send(xs);
      for (const r of drain(reader)) if (r.kind === 'float64') seen.push(...r.data);
    }
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i + 0.5));
  });

  for (const [name, start] of [['2**31 (int32 overflow)', 2 ** 31 - 600], ['2**32 (uint32 wrap)', 2 ** 32 - 600]] as const) {
    it(`keeps its positions right across ${name}`, async () => {
      const ring = createRing(256);
      // A ring that has already carried nearly `start` bytes: the free-running
      // positions are about to overflow.
      const control = new Int32Array(ring, 0, 16);
      control[WRITTEN] = start | 0;
      control[RELEASED] = start | 0;
      control[GRANTED] = (start + 256) | 0;
      const writer = new RingWriter(ring);
      const reader = new RingReader(ring);
      let next = 0;
      const seen: number[] = [];
      for (let round = 0; round < 40; round++) {
        await writer.send(Array.from({ length: 1 + (round % 5) * 4 }, () => next++ + 0.5));
        expect(reader.fill()).toBeLessThanOrEqual(256);
        for (const r of drain(reader)) if (r.kind === 'float64') seen.push(...r.data);
        expect(writer.credit()).toBe(256);
      }
      expect(seen).toEqual(Array.from({ length: next }, (_, i) => i + 0.5));
      expect((control[WRITTEN] - (start | 0)) >>> 0).toBeGreaterThan(600);
    });
  }

  it('a reader granting by hand holds the writer to what it granted', () => {
    const { writer, reader } = pair(1024, 0, 'manual');
    const chunk = writer.prepare(new Uint8Array(100));
    expect(writer.admittance(chunk)).toBe(0);
    expect(() => writer.flow(chunk, 1)).toThrow(CreditExceededError);
    expect(reader.grant(70)).toBe(64); // whole 16-byte slots
    expect(writer.credit()).toBe(64);
    expect(writer.admittance(chunk)).toBe(48);
    writer.flow(chunk, 48);
    expect(writer.admittance(chunk)).toBe(0);
    expect(reader.poll()).toBeUndefined();
    // Reading frees space but grants nothing.
    expect(writer.credit()).toBe(0);
    expect(reader.grant(10_000)).toBe(1024); // all the free space, and no more
    expect(writer.credit()).toBe(1024);
    expect(reader.grant(16)).toBe(0);
  });

  it('sends an error with its name, message, stack and code as the end of stream', async () => {
    const { writer, reader } = pair(256);
    const e = Object.assign(new RangeError('bad input '.repeat(100)), { code: 'E_RANGE' });
    const reading = (async () => {
      const got: Received[] = [];
      for (let r = await reader.next(); ; r = await reader.next()) {
        got.push(r);
        if (r.kind === 'end') return got;
      }
    })();
    await writer.send([1, 2]);
    await writer.error(e); // larger than the ring: it goes in pieces too
    const got = await reading;
    const end = got[1] as Extract<Received, { reason: 'error' }>;
    expect(end.reason).toBe('error');
    expect(end.error.name).toBe('RangeError');
    expect(end.error.message).toBe(e.message);
    expect(end.error.stack).toBe(e.stack);
    expect((end.error as Error & { code?: string }).code).toBe('E_RANGE');
    expect(() => writer.sendSync([1])).toThrow(ConnectionClosedError);
  });

  it('a reset stops both ends at once with its detail, dropping what was unread', async () => {
    const { writer, reader } = pair(1024);
    await writer.send([1, 2, 3]);
    writer.reset('the writer gave up');
    expect(reader.poll()).toEqual({ kind: 'end', reason: 'reset', detail: 'the writer gave up' });
    expect(() => writer.flow(writer.prepare([1]), 1)).toThrow(/test ring was reset: the writer gave up/);
    // A second reset keeps the first detail.
    resetRing(writer.sab, 'later');
    expect(reader.poll()).toEqual({ kind: 'end', reason: 'reset', detail: 'the writer gave up' });
  });

  it('a writer waiting for credit wakes on a reset', async () => {
    const { writer, reader } = pair(256);
    const sending = writer.send(new Float64Array(100));
    reader.reset('the reader gave up');
    await expect(sending).rejects.toThrow(/reset: the reader gave up/);
  });

  it('a writer that asks to wait when the room is already there is not left waiting', async () => {
    // The reader frees everything between the writer's failed admittance and
    // its wait: the wait must see the room, not wait for the room to grow.
    const { writer, reader } = pair(256);
    const chunk = writer.prepare(new Float64Array(30));
    writer.flow(chunk, writer.admittance(chunk));
    expect(writer.admittance(chunk)).toBe(0);
    drain(reader);
    let woke = false;
    const waiting = writer.writable(8).then(() => (woke = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(woke).toBe(true);
    await waiting;
  });

  it('the reader closing its side refuses further writes, and wakes a waiting writer', async () => {
    const { writer, reader } = pair(256);
    const sending = writer.send(new Float64Array(100));
    reader.close();
    await expect(sending).rejects.toThrow(/the reader of test ring closed its side/);
    expect(writer.state()).toBe('closed');
    await writer.end(); // nothing to end on a closed connection: no error, no wait
  });

  it('refuses a frame that claims more than the ring holds, or a chunk out of order', () => {
    const ring = createRing(256);
    const control = new Int32Array(ring, 0, 16);
    const frame = new Int32Array(ring, DATA_OFFSET, 4);
    frame.set([FrameKind.Float64 | (LAST_PIECE << 8), 10_000, 1, 0]);
    control[WRITTEN] = 16;
    expect(() => new RingReader(ring, { name: 'bad ring' }).poll()).toThrow(/bad ring: a frame at byte 0 claims 10000 bytes, past the end of the ring/);
    frame.set([FrameKind.Float64 | (LAST_PIECE << 8), 0, 2, 0]);
    expect(() => new RingReader(ring, { name: 'bad ring' }).poll()).toThrow(/bad ring: chunk 2 arrived after chunk 0/);
  });

  it('numbers chunks as uint32, wrapping after 2**32 - 1', () => {
    expect(nextSeq(1)).toBe(2);
    expect(nextSeq(2 ** 32 - 1)).toBe(0);
    expect(nextSeq(0)).toBe(1);
  });

  it('refuses to start a chunk before the one begun is finished', () => {
    const { writer } = pair(1024);
    const a = writer.prepare(new Float64Array(200));
    writer.flow(a, 10);
    expect(() => writer.flow(writer.prepare([1]), 1)).toThrow(/chunk 1 is not finished/);
  });

  it('refuses a capacity that is not a power of two, and a chunk of the wrong type', () => {
    expect(() => createRing(1000)).toThrow(/power of two/);
    expect(() => createRing(1024, 1030)).toThrow(/first credit/);
    const { writer } = pair();
    expect(() => writer.prepare(new Map() as never)).toThrow(/not an instance of Map/);
    expect(() => writer.prepare([() => 1])).toThrow(/cannot carry a function .* at test ring chunk 1\[0\]/);
  });
});
