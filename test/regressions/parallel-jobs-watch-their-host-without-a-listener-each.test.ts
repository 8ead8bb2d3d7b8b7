// Each parallel() job used to add an 'error' and an 'exit' listener of its own
// to every worker it ran on: twelve chains at once on one pool passed Node's
// limit of ten and printed a leak warning, though nothing leaked. A job now
// watches its host through the host (WorkerHost.whenLost), which holds one
// listener whatever the number of jobs.
import { afterEach, expect, test } from 'vitest';
import { IO } from '../../api/io.js';

let io: IO | undefined;
afterEach(async () => {
  await io?.close();
  io = undefined;
});

test('twelve parallel chains at once add no listener per job to their workers, and each gives its whole result', async () => {
  io = new IO({ workers: 2 });
  // Start the workers, then count their listeners.
  await io.from([0]).parallel(2).map((x: number) => x).collect().completion();
  const workers = io.workerPool!.hosts().map((h) => h!.worker);
  const before = workers.map((w) => [w.listenerCount('error'), w.listenerCount('exit')]);

  // Twelve chains whose sources hold after their first element until the gate opens:
  // once every source was asked for its second element, every job is running.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const asked: Promise<void>[] = [];
  const source = (n: number): AsyncIterable<number> => {
    let second!: () => void;
    asked.push(new Promise((resolve) => {
      second = resolve;
    }));
    return (async function* () {
      yield 0;
      second();
      await gate;
      for (let i = 1; i < n; i++) yield i;
    })();
  };
  const n = 2_000;
  const runs = Array.from({ length: 12 }, (_, k) => io!.fromAsync(source(n)).parallel(2, { chunk: 64 }).map((x: number) => x * 2).sum().completion().then((s) => [k, s]));
  await Promise.all(asked);
  const during = workers.map((w) => [w.listenerCount('error'), w.listenerCount('exit')]);
  open();
  const results = await Promise.all(runs);
  expect(during).toEqual(before);
  const expected = n * (n - 1);
  expect(results).toEqual(Array.from({ length: 12 }, (_, k) => [k, expected]));
});

test('whenLost on a host already lost answers at once with the reason, which names the host', async () => {
  io = new IO({ workers: 1 });
  await io.from([0]).on(0).map((x: number) => x).collect().completion();
  const host = io.workerPool!.hosts()[0]!;
  const lost = new Promise<string>((resolve) => host.whenLost(resolve));
  await host.worker.terminate();
  const detail = await lost;
  expect(detail).toMatch(/^host lost: host \d+ \(worker thread \d+\) exited with code 1/);
  let called = '';
  host.whenLost((d) => {
    called = d;
  });
  expect(called).toBe(detail);
});
