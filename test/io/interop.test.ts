// Interop: Node Readable and Writable with their backpressure, `for await` in
// both directions, Web streams in and out.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { bytesHeld } from '../../engine/bytes.js';
import { IO } from '../../index.js';
import { counted } from './helpers.js';

describe('for await', () => {
  it('iterates a chain', async () => {
    const io = new IO();
    const out: number[] = [];
    for await (const x of io.from([1, 2, 3, 4]).map((x: number) => x * x)) out.push(x);
    expect(out).toEqual([1, 4, 9, 16]);
  });

  it('a chain from an async iterable, iterated again', async () => {
    async function* gen(): AsyncGenerator<string> {
      for (let i = 0; i < 5; i++) yield `n${i}`;
    }
    const io = new IO();
    const out: string[] = [];
    for await (const x of io.fromAsync(gen()).grep((s: string) => s !== 'n2')) out.push(x);
    expect(out).toEqual(['n0', 'n1', 'n3', 'n4']);
  });

  it('a break ends the chain and stops the source', async () => {
    const io = new IO();
    const stats = { made: 0 };
    let got = 0;
    for await (const chunk of io.fromAsync(counted(64 << 20, 64 * 1024, stats), { bytes: true })) {
      got += (chunk as unknown as Uint8Array).length;
      if (got >= 256 * 1024) break;
    }
    expect(stats.made).toBeLessThan(12);
    await new Promise((resolve) => setImmediate(resolve));
    expect(bytesHeld(io).buffered).toBe(0);
  });

  it('an error in the chain rejects the loop', async () => {
    const io = new IO();
    const loop = (async () => {
      for await (const x of io.fromAsync([1, 2, 3]).map((x: number) => {
        if (x === 2) throw new Error('two');
        return x;
      })) void x;
    })();
    await expect(loop).rejects.toThrow(/map#\d+: user code threw at element 1: Error: two/);
  });

  it('a slow consumer holds the chain back', async () => {
    const io = new IO();
    const stats = { made: 0 };
    let got = 0;
    for await (const chunk of io.fromAsync(counted(8 << 20, 64 * 1024, stats), { bytes: true })) {
      got += (chunk as unknown as Uint8Array).length;
      // The source is never more than a few chunks ahead of the consumer.
      expect(stats.made * 64 * 1024 - got).toBeLessThanOrEqual(6 * 64 * 1024);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(got).toBe(8 << 20);
  });
});

describe('Node streams', () => {
  it('Readable in, Readable out, through a Node pipeline', async () => {
    const io = new IO();
    const input = Readable.from([Buffer.from('a\nbb\n'), Buffer.from('ccc\n')]);
    const chunks: Buffer[] = [];
    await pipeline(
      io.fromReadable(input).lines().map((l: string) => l.length).unlines().toReadable(),
      new Writable({
        write(chunk: Buffer, _enc, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(chunks).toString()).toBe('1\n2\n3\n');
  });

  it('object-mode Readable in and out', async () => {
    const io = new IO();
    const out: unknown[] = [];
    for await (const x of io.fromReadable<{ a: number }>(Readable.from([{ a: 1 }, { a: 2 }])).map((o: { a: number }) => o.a).toReadable({ objectMode: true })) out.push(x);
    expect(out).toEqual([1, 2]);
  });

  it('an object-mode Writable out', async () => {
    const io = new IO();
    const got: unknown[] = [];
    const w = new Writable({
      objectMode: true,
      highWaterMark: 2,
      write(x, _enc, callback) {
        got.push(x);
        setImmediate(callback);
      },
    });
    await io.from([1, 2, 3, 4, 5]).map((x: number) => ({ x })).toWritable(w, { highWater: 2 }).completion();
    expect(got).toEqual([1, 2, 3, 4, 5].map((x) => ({ x })));
  });
});

describe('Web streams', () => {
  it('ReadableStream in, WritableStream out', async () => {
    const io = new IO();
    const rs = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x\ny'));
        controller.enqueue(new TextEncoder().encode('\nz\n'));
        controller.close();
      },
    });
    const parts: Uint8Array[] = [];
    const ws = new WritableStream<Uint8Array>({
      write(chunk) {
        parts.push(chunk.slice());
      },
    }, { highWaterMark: 1 });
    await io.fromWeb(rs).lines().map((l: string) => l.toUpperCase()).unlines().toWeb(ws).completion();
    expect(Buffer.concat(parts).toString()).toBe('X\nY\nZ\n');
  });

  it('a chain as a ReadableStream', async () => {
    const io = new IO();
    const reader = io.from(['a', 'b']).toReadableStream().getReader();
    const out: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.push(value);
    }
    expect(out).toEqual(['a', 'b']);
  });
});
