import { describe, expect, test } from 'vitest';
import { Scheduler, mulberry32 } from '../../engine/scheduler.js';

/** Schedules `n` tasks that record their index, some of which schedule follow-ups. */
function runRecording(scheduler: Scheduler, n: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    scheduler.schedule(() => {
      order.push(i);
      if (i % 3 === 0) scheduler.schedule(() => order.push(1000 + i));
    });
  }
  scheduler.runUntilIdle();
  return order;
}

describe('Scheduler', () => {
  test('runs nothing until asked, then FIFO including tasks scheduled by tasks', () => {
    const s = new Scheduler();
    const order: string[] = [];
    s.schedule(() => {
      order.push('a');
      s.schedule(() => order.push('c'));
    });
    s.schedule(() => order.push('b'));
    expect(order).toEqual([]);
    expect(s.pending).toBe(2);
    expect(s.runUntilIdle()).toBe(3);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(s.pending).toBe(0);
    expect(s.ran).toBe(3);
  });

  test('step runs exactly one task and reports whether it did', () => {
    const s = new Scheduler();
    const order: number[] = [];
    s.schedule(() => order.push(1));
    s.schedule(() => order.push(2));
    expect(s.step()).toBe(true);
    expect(order).toEqual([1]);
    expect(s.step()).toBe(true);
    expect(s.step()).toBe(false);
    expect(order).toEqual([1, 2]);
  });

  test('FIFO stays correct across queue compaction (many tasks)', () => {
    const s = new Scheduler();
    const order: number[] = [];
    let next = 0;
    // Each task schedules one more until 5000: the queue head moves far past 1024.
    const task = () => {
      order.push(next);
      if (++next < 5000) s.schedule(task);
    };
    for (let i = 0; i < 3; i++) s.schedule(() => order.push(-1));
    s.schedule(task);
    s.runUntilIdle();
    expect(order.slice(0, 3)).toEqual([-1, -1, -1]);
    expect(order.slice(3)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  test('a seeded scheduler runs every task exactly once, in a reproducible shuffled order', () => {
    const fifo = runRecording(new Scheduler(), 40);
    const a = runRecording(new Scheduler({ seed: 7 }), 40);
    const b = runRecording(new Scheduler({ seed: 7 }), 40);
    const c = runRecording(new Scheduler({ seed: 8 }), 40);
    expect([...a].sort((x, y) => x - y)).toEqual([...fifo].sort((x, y) => x - y));
    expect(a).toEqual(b);
    expect(a).not.toEqual(fifo);
    expect(c).not.toEqual(a);
  });

  test('a throwing task propagates its error and leaves the rest queued', () => {
    const s = new Scheduler();
    const order: string[] = [];
    s.schedule(() => order.push('first'));
    s.schedule(() => {
      throw new Error('boom');
    });
    s.schedule(() => order.push('after'));
    expect(() => s.runUntilIdle()).toThrow('boom');
    expect(order).toEqual(['first']);
    expect(s.pending).toBe(1);
    s.runUntilIdle();
    expect(order).toEqual(['first', 'after']);
  });

  test('runUntilIdle refuses to nest inside a task', () => {
    const s = new Scheduler();
    let error: unknown;
    s.schedule(() => {
      try {
        s.runUntilIdle();
      } catch (e) {
        error = e;
      }
    });
    s.runUntilIdle();
    expect(String(error)).toMatch(/inside a task/);
  });

  test('the livelock guard stops a task that reschedules itself forever', () => {
    const s = new Scheduler({ maxTasksPerRun: 100 });
    const forever = () => s.schedule(forever);
    s.schedule(forever);
    expect(() => s.runUntilIdle()).toThrow(/100 tasks without going idle/);
  });

  test('mulberry32 is deterministic and stays in [0, 1)', () => {
    const r1 = mulberry32(42);
    const r2 = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => r1());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => r2()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});
