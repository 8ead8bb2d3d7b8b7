// chain.parallel(n) against the same chain on one thread: ordered and
// unordered merges on seeded random inputs, keyed placement, bounded memory
// with a fast source and slow workers, end of stream and errors crossing
// threads, the portability check, and reducers that combine partial results.
import { afterAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { NotPortableError } from '../../transport/portable.js';
import { laneOf } from '../../transport/parallel-run.js';

const io = new IO({ workers: 2 });
afterAll(() => io.close());

const int = (r: () => number, n: number): number => Math.floor(r() * n);
const numbers = (r: () => number, n: number): number[] => Array.from({ length: n }, () => int(r, 2000) - 1000);

describe('chain.parallel(n)', () => {
  it('ordered: the same elements in the same order as one thread, on seeded random inputs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = mulberry32(seed);
      const xs = numbers(r, int(r, 5000));
      const chunk = 1 + int(r, 300);
      const inFlight = 1 + int(r, 4);
      const one = io.from(xs).map((x) => x * 3 + 1).filter((x) => x % 7 !== 0).flatMap((x): unknown[] => (x % 5 === 0 ? [] : x % 2 === 0 ? [x, -x] : [String(x)])).collect().run();
      const many = await io.from(xs).parallel(2, { chunk, inFlight })
        .map((x: number) => x * 3 + 1).filter((x: number) => x % 7 !== 0).flatMap((x: number): unknown[] => (x % 5 === 0 ? [] : x % 2 === 0 ? [x, -x] : [String(x)]))
        .collect().completion();
      expect(many, `seed ${seed}, chunk ${chunk}`).toEqual(one);
    }
  });

  it('unordered: the same multiset of elements, each chunk\'s outputs kept together in order', async () => {
    for (let seed = 20; seed < 26; seed++) {
      const r = mulberry32(seed);
      const xs = numbers(r, 1000 + int(r, 4000)).map((x, i) => ({ i, x }));
      const one = io.from(xs).map((o) => ({ i: o.i, y: o.x * 2 })).collect().run();
      const many = await io.from(xs).parallel(2, { ordered: false, chunk: 64 }).map((o: { i: number; x: number }) => ({ i: o.i, y: o.x * 2 })).collect().completion();
      expect(many.length).toBe(one.length);
      expect([...many].sort((a, b) => a.i - b.i)).toEqual(one);
    }
  });

  it('continues on this thread after the merge: take, scan and uniq run there, in order', async () => {
    const xs = Array.from({ length: 3000 }, (_, i) => i);
    const one = io.from(xs).map((x) => Math.floor(x / 3)).uniq().scan((a: number, x: number) => a + x, 0).take(500).collect().run();
    const many = await io.from(xs).parallel(2, { chunk: 100 }).map((x: number) => Math.floor(x / 3)).uniq().scan((a: number, x: number) => a + x, 0).take(500).collect().completion();
    expect(many).toEqual(one);
  });

  it('an array no step has touched is cut straight from the array: its chain makes no source process', async () => {
    const xs = Array.from({ length: 3000 }, (_, i) => i);
    const source = io.from(xs);
    const out = await source.parallel(2, { chunk: 100 }).map((x: number) => x + 1).collect().completion();
    expect(out).toEqual(xs.map((x) => x + 1));
    // Asking the chain for its error policy used to make its source, and the array then went through a pump and a sink.
    expect(source.untouchedArray).toBe(true);
  });

  it('a source that is not an array is cut into chunks by a sink on this thread', async () => {
    async function* gen(): AsyncGenerator<number> {
      for (let i = 0; i < 5000; i++) yield i;
    }
    const many = await io.fromAsync(gen(), { chunkSize: 100 }).map((x) => x + 1).parallel(2, { chunk: 128 }).map((x: number) => x * x).collect().completion();
    expect(many).toEqual(Array.from({ length: 5000 }, (_, i) => (i + 1) * (i + 1)));
  });

  it('keyed: every element goes to the lane of its key, and each key keeps its order', async () => {
    const r = mulberry32(7);
    const xs = Array.from({ length: 6000 }, (_, i) => ({ i, k: `user${int(r, 40)}` }));
    const parallel = io.from(xs).parallel(2, { key: (o: { k: string }) => o.k, ordered: false, chunk: 50 });
    const out = await parallel.map((o: { i: number; k: string }) => ({ i: o.i, k: o.k })).collect().completion();
    const expected = [0, 0];
    for (const o of xs) expected[laneOf(o.k, 2)]++;
    expect(parallel.stats!.placed).toEqual(expected);
    expect(out.length).toBe(xs.length);
    const byKey = (list: { i: number; k: string }[]): Map<string, number[]> => {
      const m = new Map<string, number[]>();
      for (const o of list) m.set(o.k, [...(m.get(o.k) ?? []), o.i]);
      return m;
    };
    expect(byKey(out)).toEqual(byKey(xs));
  });

  it('keeps memory bounded: a fast source and slow workers stay within the chunk credit', async () => {
    const chunk = 64;
    const inFlight = 2;
    let produced = 0;
    let lead = 0;
    async function* fast(): AsyncGenerator<number> {
      for (let i = 0; i < 20000; i++) {
        produced++;
        yield i;
      }
    }
    // A slow step: a few thousand operations per element.
    const parallel = io.fromAsync(fast(), { chunkSize: 256 }).parallel(2, { chunk, inFlight });
    const chain = parallel.map((x: number) => {
      let h = x;
      for (let j = 0; j < 2000; j++) h = (h * 31 + j) % 1000003;
      return h === -1 ? -1 : x;
    });
    let consumed = 0;
    for await (const x of chain) {
      expect(x).toBe(consumed);
      consumed++;
      lead = Math.max(lead, produced - consumed);
    }
    expect(consumed).toBe(20000);
    const budget = 2 * inFlight * chunk;
    expect(parallel.stats!.maxHeld).toBeLessThanOrEqual(inFlight);
    expect(parallel.stats!.maxPending).toBeLessThanOrEqual(budget);
    // The source runs ahead by at most the budget, one read of the source (256), and what the for-await queue holds (1,024).
    expect(lead).toBeLessThanOrEqual(budget + 256 + 1024 + chunk);
  });

  it('a take after the merge stops the workers and an endless source', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<number> {
      for (let i = 0; ; i++) {
        produced++;
        yield i;
      }
    }
    const parallel = io.fromAsync(endless(), { chunkSize: 64 }).parallel(2, { chunk: 32, inFlight: 2 });
    expect(await parallel.map((x: number) => x * 2).take(100).collect().completion()).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    const afterwards = produced;
    // Nothing more is read from the source once the take has enough.
    await new Promise((resolve) => setImmediate(resolve));
    expect(produced).toBe(afterwards);
    expect(produced).toBeLessThanOrEqual(100 + 2 * 2 * 32 + 2 * 64);
  });

  it('a byte stream is refused with a message that says to frame it first', async () => {
    const bytes = io.fromAsync<number>([new Uint8Array([1, 2, 3])] as unknown as number[], { bytes: true });
    await expect(bytes.parallel(2).map((b: number) => b).collect().completion()).rejects.toThrow('a byte stream cannot be cut into elements; use lines() (or another framing) before parallel()');
  });

  it('end of stream crosses: an empty source, and reducers on it', async () => {
    expect(await io.from([] as number[]).parallel(2).map((x: number) => x).collect().completion()).toEqual([]);
    expect(await io.from([] as number[]).parallel(2).count().completion()).toBe(0);
  });

  it('a throwing user function fails the run with an error naming its step and host', async () => {
    const xs = Array.from({ length: 2000 }, (_, i) => i);
    const chain = io.from(xs).parallel(2, { chunk: 100 }).map((x: number) => x + 1).filter((x: number) => {
      if (x === 1234) throw new RangeError(`bad ${x}`);
      return true;
    });
    const error = await chain.collect().completion().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.name).toBe('StepError');
    expect(error?.message).toMatch(/^filter on host \d+: RangeError: bad 1234$/);
    // The workers go on serving.
    expect(await io.from([1, 2]).parallel(2).map((x: number) => x * 2).collect().completion()).toEqual([2, 4]);
  });

  it('a key that throws fails the run with its error, from an array or any other source', async () => {
    const key = (x: number): number => {
      if (x === 77) throw new Error('no key for 77');
      return x % 3;
    };
    const xs = Array.from({ length: 200 }, (_, i) => i);
    await expect(io.from(xs).parallel(2, { key }).map((x: number) => x).collect().completion()).rejects.toThrow('no key for 77');
    await expect(io.fromAsync(xs).parallel(2, { key }).map((x: number) => x).collect().completion()).rejects.toThrow('no key for 77');
  });

  it('an error upstream of parallel crosses to the result', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('the source broke');
    }
    await expect(io.fromAsync(failing()).parallel(2).map((x: number) => x).collect().completion()).rejects.toThrow('the source broke');
  });

  it('refuses a function that is not portable when the chain is built, naming the name, the function and the step', () => {
    const k = 3;
    const build = (): unknown => io.from([1]).parallel(2).map((x: number) => x * 2).filter((x: number) => x > k);
    expect(build).toThrow(NotPortableError);
    expect(build).toThrow("filter (step 2 of parallel(2)) 'p': the function `(x) => x > k` is not portable to another host: it uses `k`");
    expect(() => io.from(['a']).parallel(2).filter(/a/)).toThrow('filter (after parallel(2)): a RegExp cannot be sent to a worker as it is; write the test as a function, for example (x) => /a/.test(x)');
    // A key runs on this thread (it chooses the worker): it may use names from outside.
    expect(() => io.from([1]).parallel(2, { key: (x: number) => x % k })).not.toThrow();
    expect(() => io.from([1]).parallel(2).fold((a: number, x: number) => a + x * k, 0, { combine: (a, b) => a + b })).toThrow("fold (after parallel(2)) 'f'");
  });

  it('reducers combine partial results: count, sum, fold and reduce with a combiner', async () => {
    const r = mulberry32(99);
    const xs = numbers(r, 7777);
    const chunk = 100;
    expect(await io.from(xs).parallel(2, { chunk }).filter((x: number) => x > 0).count().completion()).toBe(xs.filter((x) => x > 0).length);
    expect(await io.from(xs).parallel(2, { chunk }).map((x: number) => x * 2).sum().completion()).toBe(xs.reduce((a, x) => a + x * 2, 0));
    // Order-sensitive but associative: string concatenation, with '' as its identity.
    const text = await io.from(xs).parallel(2, { chunk }).map((x: number) => String.fromCharCode(97 + Math.abs(x) % 26)).fold((a: string, c: string) => a + c, '', { combine: (a, b) => a + b }).completion();
    expect(text).toBe(xs.map((x) => String.fromCharCode(97 + Math.abs(x) % 26)).join(''));
    const max = await io.from(xs).parallel(2, { chunk, ordered: false }).reduce((a: number, x: number) => Math.max(a, x), -Infinity, { combine: Math.max }).completion();
    expect(max).toBe(Math.max(...xs));
    // Without a combiner the fold runs here, after the merge.
    expect(await io.from(xs).parallel(2, { chunk }).fold((a: number, x: number) => a - x, 0).completion()).toBe(xs.reduce((a, x) => a - x, 0));
  });

  it('chain.on(worker) runs the steps on one given worker', async () => {
    const placed = io.from([1, 2, 3]).on(1);
    expect(await placed.map((x: number) => x * 100).collect().completion()).toEqual([100, 200, 300]);
    expect(placed.section.hosts().length).toBe(1);
    expect(placed.section.hosts()[0]).toBe(io.workerPool!.hosts()[1]);
    const host = io.workerPool!.host(0);
    expect(await io.from([4, 5]).on(host).map((x: number) => -x).collect().completion()).toEqual([-4, -5]);
  });
});
