// The ring across a real worker thread: ordering, every chunk exactly once,
// backpressure with a bounded fill, end of stream and errors crossing, and a
// worker that dies mid-stream (the other side sees a reset, never a hang).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRing } from '../../transport/ring-layout.js';
import { RingReader } from '../../transport/ring-reader.js';
import { RingWriter } from '../../transport/ring-writer.js';
import type { Received } from '../../transport/records.js';
import { superviseWorker } from '../../transport/supervise.js';
import { buildForWorkers } from './build.js';

let built: { dir: string; remove: () => void };

beforeAll(() => {
  built = buildForWorkers(['test/transport/fixtures/ring-worker.ts']);
}, 120_000);

afterAll(() => built?.remove());

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
});

function start(job: Record<string, unknown>): Worker {
  const w = new Worker(join(built.dir, 'test/transport/fixtures/ring-worker.js'), { workerData: job });
  workers.push(w);
  return w;
}

function message(w: Worker, what?: (m: unknown) => boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const on = (m: unknown): void => {
      if (what && !what(m)) return;
      w.off('message', on);
      w.off('error', failed);
      resolve(m);
    };
    const failed = (error: unknown): void => {
      w.off('message', on);
      reject(error);
    };
    w.on('message', on);
    w.once('error', failed);
  });
}

async function readAll(reader: RingReader): Promise<Received[]> {
  const got: Received[] = [];
  for (;;) {
    const r = await reader.next();
    got.push(r);
    if (r.kind === 'end') return got;
  }
}

/** The numbers in the chunks, in order, checking that the chunks are numbered 1, 2, 3, … */
function numbers(got: readonly Received[]): number[] {
  const out: number[] = [];
  let seq = 0;
  for (const r of got) {
    if (r.kind === 'end') continue;
    expect(r.seq).toBe(++seq);
    out.push(...(r.data as Float64Array));
  }
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('the ring across a worker thread', () => {
  it('delivers every chunk exactly once, in order, then the end', async () => {
    const ring = createRing(4096);
    start({ script: 'produce', output: ring, chunks: 500, size: 37 });
    const got = await readAll(new RingReader(ring, { name: 'from worker' }));
    expect(numbers(got)).toEqual(range(500 * 37));
    expect(got.at(-1)).toEqual({ kind: 'end', reason: 'end' });
  });

  it('echoes every kind of chunk back unchanged, a chunk larger than the ring included', async () => {
    const there = createRing(1024);
    const back = createRing(1024);
    start({ script: 'echo', input: there, output: back });
    const writer = new RingWriter(there, 'to worker');
    const sent: unknown[] = [
      new Float64Array([1.5, -0, NaN, Infinity]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint8Array(10_000).map((_, i) => i % 256),
      ['a', { nested: [1, [2n]] }, new Map([[1, new Set(['x'])]]), undefined, new Date(7)],
      Float64Array.from(range(3000)),
    ];
    const reading = readAll(new RingReader(back, { name: 'from worker' }));
    for (const chunk of sent) await writer.send(chunk as Float64Array);
    await writer.end();
    const got = await reading;
    expect(got.map((r) => r.kind)).toEqual(['float64', 'int32', 'bytes', 'values', 'float64', 'end']);
    for (let i = 0; i < sent.length; i++) expect((got[i] as { data: unknown }).data).toStrictEqual(sent[i]);
    expect(Object.is((got[0] as { data: Float64Array }).data[1], -0)).toBe(true);
  });

  it('a fast writer and a slow reader: the writer stops when the credit is spent, and the fill never exceeds the ring', async () => {
    const capacity = 4096;
    const ring = createRing(capacity);
    const w = start({ script: 'read-on-request', input: ring });
    await message(w, (m) => m === 'ready');
    const writer = new RingWriter(ring, 'to slow worker');
    const fill = (): number => new RingReader(ring).fill(); // only to look: the worker is the reader
    const chunks = 200;
    const size = 100; // 816 bytes a frame: five fit in the ring
    let written = 0;
    let blocked = 0;
    let maxFill = 0;
    let next = 0;
    // Write until the credit is spent: the reader has read nothing yet.
    const pending: number[][] = [];
    for (let c = 0; c < chunks; c++) pending.push(Array.from({ length: size }, () => next++ + 0.5)); // float64 runs
    const writeWhatFits = (): void => {
      while (written < chunks) {
        const chunk = writer.prepare(pending[written]);
        if (writer.admittance(chunk) < size) return;
        writer.flow(chunk, size);
        written++;
        maxFill = Math.max(maxFill, fill());
      }
    };
    writeWhatFits();
    expect(written).toBe(5);
    expect(fill()).toBeLessThanOrEqual(capacity);
    // From now on the worker reads one chunk per request; each read grants
    // room for one more chunk, and never more than the ring holds is in it.
    let sum = 0;
    while (written < chunks) {
      blocked++;
      w.postMessage(1);
      const m = (await message(w, (x) => typeof x === 'object')) as { sum: number; count: number };
      sum = m.sum;
      writeWhatFits();
      expect(fill()).toBeLessThanOrEqual(capacity);
    }
    w.postMessage(chunks + 1); // read the rest and the end (which waits for room, so first)
    await writer.end();
    const last = (await message(w, (x) => (x as { done?: boolean }).done === true)) as { sum: number; count: number };
    expect(last.count).toBe(chunks);
    expect(last.sum).toBe((chunks * size) ** 2 / 2);
    expect(sum).toBeLessThan(last.sum);
    expect(blocked).toBeGreaterThanOrEqual(chunks - 5);
    expect(maxFill).toBeLessThanOrEqual(capacity);
  });

  it('an error crosses as the end of stream, with its name, message and code', async () => {
    const ring = createRing(1024);
    start({ script: 'produce-then-error', output: ring, chunks: 20, size: 50 });
    const got = await readAll(new RingReader(ring));
    expect(numbers(got)).toEqual(range(1000));
    const end = got.at(-1) as Extract<Received, { reason: 'error' }>;
    expect(end.reason).toBe('error');
    expect(end.error.name).toBe('TypeError');
    expect(end.error.message).toBe('the worker found a bad record');
    expect((end.error as Error & { code?: string }).code).toBe('E_BAD_RECORD');
    expect(end.error.stack).toContain('ring-worker.js');
  });

  it('a writer terminated mid-stream: the reader sees reset, host lost, not a hang', async () => {
    for (let round = 0; round < 3; round++) {
      const ring = createRing(1 << 16);
      const w = start({ script: 'produce-then-hang', output: ring, chunks: 10, size: 100 });
      superviseWorker(w, [{ ring, role: 'writer' }], `host ${round + 1}`);
      const reader = new RingReader(ring);
      await message(w, (m) => m === 'produced');
      const exited = new Promise((resolve) => w.once('exit', resolve));
      const first = await reader.next(); // read one before the end comes, then wait in next()
      expect(first).toMatchObject({ seq: 1 });
      await w.terminate();
      await exited;
      const rest = await readAll(reader);
      const end = rest.at(-1)!;
      expect(end).toEqual({ kind: 'end', reason: 'reset', detail: `host lost: host ${round + 1} exited with code 1` });
    }
  });

  it('a writer terminated while it writes, many times: what arrived is whole, in order, once, then reset', async () => {
    for (let round = 0; round < 10; round++) {
      const ring = createRing(4096);
      const size = 50 + round * 37; // chunks that split across frames in some rounds, not others
      const w = start({ script: 'produce-forever', output: ring, size });
      superviseWorker(w, [{ ring, role: 'writer' }], `host ${round}`);
      const reader = new RingReader(ring);
      const got: Received[] = [];
      for (let k = 0; k < 3 + round; k++) got.push(await reader.next());
      await w.terminate();
      got.push(...(await readAll(reader)));
      expect(got.at(-1)).toEqual({ kind: 'end', reason: 'reset', detail: `host lost: host ${round} exited with code 1` });
      const chunks = got.filter((r) => r.kind !== 'end');
      expect(chunks.length).toBeGreaterThanOrEqual(3 + round);
      for (const c of chunks) expect((c.data as Float64Array).length).toBe(size);
      expect(numbers(got)).toEqual(range(chunks.length * size));
    }
  });

  it('a reader waiting on a writer that dies is woken by the reset', async () => {
    const ring = createRing(1 << 16);
    const w = start({ script: 'produce-then-hang', output: ring, chunks: 0, size: 1 });
    superviseWorker(w, [{ ring, role: 'writer' }], 'host 7');
    await message(w, (m) => m === 'produced');
    const reader = new RingReader(ring);
    const waiting = reader.next(); // nothing in the ring: this waits
    await w.terminate();
    expect(await waiting).toEqual({ kind: 'end', reason: 'reset', detail: 'host lost: host 7 exited with code 1' });
  });

  it('a writer that throws mid-stream: the reader sees reset with the error in the detail', async () => {
    const ring = createRing(1 << 16);
    const w = start({ script: 'produce-then-throw', output: ring, chunks: 3, size: 10 });
    superviseWorker(w, [{ ring, role: 'writer' }], 'host 2');
    const got = await readAll(new RingReader(ring));
    expect(numbers(got)).toEqual(range(30));
    expect(got.at(-1)).toEqual({ kind: 'end', reason: 'reset', detail: 'host lost: host 2 exited with code 1: the worker crashed mid-stream' });
  });

  it('a reader terminated mid-stream: the writer waiting for credit is refused with the reset, not left hanging', async () => {
    const ring = createRing(1024);
    const w = start({ script: 'read-then-hang', input: ring });
    superviseWorker(w, [{ ring, role: 'reader' }], 'host 3');
    const writer = new RingWriter(ring, 'to worker');
    await writer.send([1]);
    await message(w, (m) => m === 'read one');
    const sending = writer.send(new Float64Array(10_000)); // far more than the ring: it must wait
    await w.terminate();
    await expect(sending).rejects.toThrow('to worker was reset: host lost: host 3 exited with code 1');
  });

  it('a writer that finished before its worker exited is not reset: the reader gets every chunk and the end', async () => {
    const ring = createRing(1024);
    const w = start({ script: 'produce', output: ring, chunks: 40, size: 30 });
    superviseWorker(w, [{ ring, role: 'writer' }]);
    const reader = new RingReader(ring);
    const got = await readAll(reader);
    await new Promise((resolve) => (w.threadId < 0 ? resolve(0) : w.once('exit', resolve)));
    expect(numbers(got)).toEqual(range(1200));
    expect(got.at(-1)).toEqual({ kind: 'end', reason: 'end' });
    expect(reader.poll()).toEqual({ kind: 'end', reason: 'end' });
  });
});
