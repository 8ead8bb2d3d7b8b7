// Regression: the seeded scheduler was not exported from the package entry,
// so users could not shuffle the lifecycle of their own servers in tests.
import { describe, expect, it } from 'vitest';
import { IO, Port, Scheduler, ports } from '../../index.js';

describe('the package entry', () => {
  it('exports the seeded scheduler, which drives a server pattern the same way for the same seed', async () => {
    const order = async (seed: number): Promise<number[]> => {
      const io = new IO();
      const scheduler = new Scheduler({ seed });
      ports.useScheduler(io, scheduler);
      const listen = Port.listen(io);
      const served: number[] = [];
      const clients = Array.from({ length: 6 }, () => Port.create(io));
      clients.forEach((c, i) => void c.connect(listen, { wait: true }).then(() => {
        served.push(i);
        listen.move().destroy();
      }));
      for (let turns = 0; served.length < 6 && turns < 1000; turns++) {
        await new Promise((resolve) => setImmediate(resolve));
        scheduler.step();
      }
      return served;
    };
    expect(new Scheduler({ seed: 1 }).seed).toBe(1);
    const a = await order(7);
    expect(a.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await order(7)).toEqual(await order(7));
  });
});
