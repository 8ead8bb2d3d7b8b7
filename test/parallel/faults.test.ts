// A worker terminated in the middle of a parallel stream: without a restart
// policy the run fails with an error naming the lost host and the steps; with
// one, a fresh worker gets the chunks the lost one had not answered, and the
// output is exactly the single-thread output, every record counted.
import { afterAll, describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { HostLostError } from '../../transport/parallel-run.js';

const io = new IO({ workers: 2 });
afterAll(() => io.close());

/** A step that costs some work per element, so that a worker is often busy when it is terminated. */
const work = (x: number): number => {
  let h = x;
  for (let j = 0; j < 300; j++) h = (h * 33 + j) % 65521;
  return x * 2 + (h === -1 ? 1 : 0);
};

describe('a worker lost in the middle of a parallel stream', () => {
  it('fails the run with an error naming the host and the steps when no restart is allowed', async () => {
    const xs = Array.from({ length: 20000 }, (_, i) => i);
    const parallel = io.from(xs).parallel(2, { chunk: 100, inFlight: 2 });
    const seen: number[] = [];
    let error: Error | undefined;
    try {
      for await (const x of parallel.map(work)) {
        seen.push(x);
        if (seen.length === 500) void parallel.section.hosts()[1].worker.terminate();
      }
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(HostLostError);
    expect(error!.message).toMatch(/^parallel\(2\) of map: host lost: host \d+ \(worker thread \d+\) exited with code 1$/);
    // What came before the loss is a prefix of the stream, each element once.
    expect(seen).toEqual(xs.slice(0, seen.length).map((x) => x * 2));
  });

  it('with restart, gives exactly the single-thread output (20 seeded runs)', async () => {
    let restarts = 0;
    let resent = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = mulberry32(seed);
      const n = 5000 + Math.floor(r() * 10000);
      const xs = Array.from({ length: n }, (_, i) => i - 300);
      const at = Math.floor(r() * n);
      const lane = Math.floor(r() * 2);
      const ordered = r() < 0.7;
      const one = io.from(xs).map(work).filter((x) => x % 3 !== 0).collect().run();
      const parallel = io.from(xs).parallel(2, { chunk: 1 + Math.floor(r() * 200), inFlight: 1 + Math.floor(r() * 3), restart: 1, ordered });
      const out: number[] = [];
      let terminated: Promise<number> | undefined;
      for await (const x of parallel.map(work).filter((x: number) => x % 3 !== 0)) {
        out.push(x);
        if (out.length === Math.min(at, one.length - 1)) terminated = parallel.section.hosts()[lane].worker.terminate();
      }
      // A worker terminated after its lane had finished is gone before the next run starts, not during it.
      await terminated;
      expect(out.length, `seed ${seed}`).toBe(one.length);
      expect(ordered ? out : [...out].sort((a, b) => a - b), `seed ${seed}`).toEqual(ordered ? one : [...one].sort((a, b) => a - b));
      restarts += parallel.stats!.restarts;
      resent += parallel.stats!.resent;
    }
    // Terminations that hit a worker with work left: it was replaced, and what it had not answered was sent again.
    console.log(`terminated 20 workers: ${restarts} replaced, ${resent} chunks sent again`);
    expect(restarts).toBeGreaterThan(0);
    expect(resent).toBeGreaterThan(0);
  }, 120_000);
});

describe('a parallel chain supervised by its realm', () => {
  it("raises #error for a throwing step and follows the reply: retry runs the chunk again, skip drops it", async () => {
    const realmIO = new IO({ workers: 2 });
    const reports: string[] = [];
    realmIO.realm.on('error', (s) => {
      const r = s.args[0] as { process: string; index: number; attempts: number; cause: Error };
      reports.push(`${r.process} chunk ${r.index} attempt ${r.attempts}: ${r.cause.message}`);
      return r.attempts < 2 ? 'retry' : 'skip';
    });
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const out = await realmIO.from(xs).onError('realm').parallel(2, { chunk: 100 }).map((x: number) => {
      if (x === 250) throw new Error('no 250');
      return x;
    }).collect().completion();
    // The chunk of 200..299 is the third (on the first worker, host 1), and was skipped after a retry; everything else came through once, in order.
    expect(out).toEqual(xs.filter((x) => x < 200 || x >= 300));
    expect(reports).toEqual([
      'parallel(2) of map chunk 3 attempt 1: map on host 1: Error: no 250',
      'parallel(2) of map chunk 3 attempt 2: map on host 1: Error: no 250',
    ]);
    await realmIO.close();
  });

  it('raises #error for a lost host when no restart is left; retry puts a fresh worker in its place', async () => {
    const realmIO = new IO({ workers: 2 });
    const reports: string[] = [];
    realmIO.realm.on('error', (s) => {
      const r = s.args[0] as { process: string; cause: Error };
      reports.push(`${r.process}: ${r.cause.name}`);
      return 'retry';
    });
    const xs = Array.from({ length: 20000 }, (_, i) => i);
    const parallel = realmIO.from(xs).onError('realm').parallel(2, { chunk: 100, inFlight: 2 });
    const out: number[] = [];
    let terminated: Promise<number> | undefined;
    for await (const x of parallel.map(work)) {
      out.push(x);
      if (out.length === 3000) terminated = parallel.section.hosts()[0].worker.terminate();
    }
    await terminated;
    expect(out).toEqual(xs.map((x) => x * 2));
    expect(reports).toEqual(['parallel(2) of map: HostLostError']);
    await realmIO.close();
  });
});

describe('closing the container during a parallel run', () => {
  it('fails the run with an error, also when a restart was allowed', async () => {
    const closing = new IO({ workers: 2 });
    const xs = Array.from({ length: 20000 }, (_, i) => i);
    const parallel = closing.from(xs).parallel(2, { chunk: 100, inFlight: 2, restart: 3 });
    let seen = 0;
    let closed: Promise<void> | undefined;
    const error = await (async () => {
      for await (const x of parallel.map(work)) {
        expect(x).toBe(seen * 2);
        if (++seen === 500) closed = closing.close();
      }
    })().then(() => undefined, (e: unknown) => e as Error);
    await closed;
    expect(error?.message).toMatch(/host lost: host \d+ \(worker thread \d+\) exited with code 1|the worker pool is closed/);
    expect(seen).toBeLessThan(20000);
  });
});
