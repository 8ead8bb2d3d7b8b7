// The container's pool of worker hosts: started lazily, one host id each,
// stopped by io.close() (idempotent), and a fresh host for a replaced slot.
import { describe, expect, it } from 'vitest';
import { hostIndex } from '../../engine/address.js';
import { IO } from '../../api/io.js';
import { poolOf } from '../../api/parallel.js';
import { WORKER_SCRIPT_VARIABLE, workerScript } from '../../transport/worker-pool.js';

describe('the worker pool of a container', () => {
  it('starts workers only when used, each a host of its own, and stops them on close', async () => {
    const io = new IO({ workers: 3 });
    const pool = poolOf(io)!;
    expect(pool.size).toBe(3);
    expect(pool.hosts()).toEqual([undefined, undefined, undefined]);
    const out = await io.from([1, 2, 3, 4, 5]).parallel(2, { chunk: 2 }).map((x: number) => x * 10).collect().completion();
    expect(out).toEqual([10, 20, 30, 40, 50]);
    const started = pool.hosts();
    expect(started[2]).toBeUndefined();
    const ids = started.slice(0, 2).map((h) => hostIndex(h!.host));
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => id !== hostIndex(io.host))).toBe(true);
    const exits = started.slice(0, 2).map((h) => new Promise<number>((resolve) => h!.worker.once('exit', resolve)));
    await io.close();
    await io.close();
    expect((await Promise.all(exits)).length).toBe(2);
    expect(() => pool.host(0)).toThrow(/closed/);
  });

  it('io.workers(n) sets the pool size; a replaced slot gets a new host id', async () => {
    const io = new IO().workers(1);
    const pool = poolOf(io)!;
    const first = pool.host(0);
    const second = pool.replace(0);
    expect(hostIndex(second.host)).not.toBe(hostIndex(first.host));
    expect(pool.host(0)).toBe(second);
    expect(() => io.from([1]).parallel(2)).toThrow(/2 workers asked for, but the container has 1/);
    await io.close();
  });

  it('finds its worker script from the variable, or next to its module, and says what to do when there is none', () => {
    const named = process.env[WORKER_SCRIPT_VARIABLE];
    try {
      process.env[WORKER_SCRIPT_VARIABLE] = '/somewhere/worker-container.js';
      expect(workerScript()).toBe('/somewhere/worker-container.js');
      // Running from the TypeScript sources, there is no built script next to transport/worker-pool.ts.
      delete process.env[WORKER_SCRIPT_VARIABLE];
      expect(() => workerScript()).toThrow(/transport\/worker-container\.js does not exist: build the package \(npm run build\), or set PUSHBACK_WORKER_SCRIPT/);
      expect(() => new IO({ workers: 1 })).toThrow(/does not exist/);
    } finally {
      if (named === undefined) delete process.env[WORKER_SCRIPT_VARIABLE];
      else process.env[WORKER_SCRIPT_VARIABLE] = named;
    }
  });
});
