/**
 * A deterministic task scheduler.
 *
 * Tasks are plain synchronous functions. Nothing runs until someone calls
 * `step()` or `runUntilIdle()`: there are no timers and no wall clock, so a
 * test decides exactly when work happens and the same inputs always produce
 * the same order of execution.
 *
 * Order is FIFO by default. With a `seed`, each step picks one of the queued
 * tasks with a seeded pseudo-random generator instead: the order differs from
 * FIFO (which shakes out code that silently relies on it) but is still the
 * same for the same seed, so a failure can be replayed.
 */

export type Task = () => void;

export interface SchedulerOptions {
  /** Pick queued tasks in a seeded pseudo-random order instead of FIFO. */
  readonly seed?: number;
  /** `runUntilIdle` gives up after this many tasks (a livelock guard). */
  readonly maxTasksPerRun?: number;
}

const DEFAULT_MAX_TASKS_PER_RUN = 10_000_000;

export class Scheduler {
  /** The seed of the shuffle mode, or undefined in FIFO mode. */
  readonly seed: number | undefined;
  readonly #maxTasksPerRun: number;
  readonly #random: (() => number) | undefined;
  // A growable ring of tasks: `#head` is the next one to run. Compacted
  // lazily so that FIFO scheduling stays O(1) per task.
  #queue: (Task | undefined)[] = [];
  #head = 0;
  #ran = 0;
  #running = false;

  constructor(options: SchedulerOptions = {}) {
    this.seed = options.seed;
    this.#maxTasksPerRun = options.maxTasksPerRun ?? DEFAULT_MAX_TASKS_PER_RUN;
    this.#random = options.seed === undefined ? undefined : mulberry32(options.seed);
  }

  /** Queue a task. It runs during a later `step()` or `runUntilIdle()`. */
  schedule(task: Task): void {
    this.#queue.push(task);
  }

  /** Number of tasks waiting to run. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Total number of tasks run by this scheduler so far. */
  get ran(): number {
    return this.#ran;
  }

  /** True while a task is executing (useful to assert re-entrancy rules). */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Run one task. Returns false when there was nothing to run.
   * A task that throws is already dequeued: the error propagates to the
   * caller and the remaining tasks stay queued, ready for the next call.
   */
  step(): boolean {
    const task = this.#take();
    if (task === undefined) return false;
    this.#ran++;
    this.#running = true;
    try {
      task();
    } finally {
      this.#running = false;
    }
    return true;
  }

  /**
   * Run tasks until the queue is empty, including tasks scheduled by the
   * tasks that ran. Returns the number of tasks run.
   */
  runUntilIdle(): number {
    if (this.#running) throw new Error('Scheduler.runUntilIdle() called from inside a task');
    let count = 0;
    while (this.step()) {
      if (++count >= this.#maxTasksPerRun) {
        throw new Error(`Scheduler ran ${count} tasks without going idle (livelock?)`);
      }
    }
    return count;
  }

  #take(): Task | undefined {
    const queue = this.#queue;
    const size = queue.length - this.#head;
    if (size === 0) return undefined;
    if (this.#random !== undefined && size > 1) {
      // Swap a randomly chosen task into the head slot, then take the head.
      const pick = this.#head + Math.floor(this.#random() * size);
      const chosen = queue[pick];
      queue[pick] = queue[this.#head];
      queue[this.#head] = chosen;
    }
    const task = queue[this.#head];
    queue[this.#head++] = undefined;
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    return task;
  }
}

/** A small, well-known 32-bit PRNG; good enough to shuffle, fully reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
