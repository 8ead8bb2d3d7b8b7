// Helpers for the lifecycle tests: drive a (seeded) scheduler to idle, one
// task at a time, letting promise reactions run between tasks. No timers, no
// wall clock: setImmediate only waits for the microtask queue to drain.
import { Scheduler } from '../../engine/scheduler.js';

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs scheduled tasks until none is left and nothing more gets scheduled; returns how many ran. */
export async function drive(s: Scheduler, limit = 2_000_000): Promise<number> {
  let steps = 0;
  for (;;) {
    await tick();
    if (s.step()) {
      if (++steps > limit) throw new Error(`drive: more than ${limit} tasks`);
      continue;
    }
    await tick();
    if (s.pending === 0) return steps;
  }
}
