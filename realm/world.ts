/**
 * The World: the root realm. It owns the kernel (scheduler, counters, signal
 * table, trace). Signals nobody handles end here: they are reported to
 * `onUnhandled`, answered with Empty and forgotten.
 */
import { Scheduler } from '../engine/scheduler.js';
import { RealmCore } from './core.js';
import { Kernel, type KernelHooks, type RealmStats } from './kernel.js';
import { Realm } from './realm.js';
import { Trace } from './trace.js';

export interface WorldOptions extends KernelHooks {
  /** Share a scheduler with other parts of the engine; by default the world makes its own. */
  readonly scheduler?: Scheduler;
  /** Seed for the world's own scheduler (shuffle mode); ignored when `scheduler` is given. */
  readonly seed?: number;
  /** Record a trace of turns (true, or a Trace to append to). */
  readonly trace?: boolean | Trace;
  readonly name?: string;
}

export class World extends Realm {
  readonly scheduler: Scheduler;
  readonly trace: Trace | null;
  readonly #kernel: Kernel;

  constructor(options: WorldOptions = {}) {
    const scheduler = options.scheduler ?? new Scheduler({ seed: options.seed });
    const trace = options.trace === true ? new Trace() : options.trace instanceof Trace ? options.trace : null;
    const kernel = new Kernel(scheduler, trace, {
      onError: options.onError,
      onUnhandled: options.onUnhandled,
      maxPendingSignals: options.maxPendingSignals,
    });
    super(new RealmCore(kernel, kernel.nextRealmId(), options.name ?? 'world', null, false, null));
    this.scheduler = scheduler;
    this.trace = trace;
    this.#kernel = kernel;
  }

  /** Run scheduled work until nothing is left; returns the number of tasks run. */
  run(): number {
    return this.scheduler.runUntilIdle();
  }

  /** Sizes of every table the realm tree keeps (see RealmStats). */
  stats(): RealmStats {
    return this.#kernel.stats();
  }
}
