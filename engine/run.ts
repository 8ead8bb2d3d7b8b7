// Running a chain asynchronously: drivers for sources, a completion promise
// for the sink, and one place where errors end up.
//
// A Run belongs to one sink. Starting it walks upstream through the input
// ports, starts a driver for every source it finds (a file, stdin, an array),
// and settles when the sink has finished: resolved with the sink's result, or
// rejected with the first error. An error aborts the run: every port of every
// process in it is ended, so the sources stop and the sink finishes with what
// it was given before the error (nothing admitted is lost, nothing is sent
// twice). Processes ask `aborted(p)` so that an aborted end is not mistaken for
// a complete stream (a counter does not emit a partial count).
import type { Definition, Instance } from './definition.js';
import { errorEnd, errorOf } from './ports.js';
import type { Process } from './process.js';

/** Moves data out of a source until it is done, cancelled or fails. */
export type Driver = (source: Process) => Promise<void>;

const drivers = new Map<Definition, Driver>();
const finishes = new WeakMap<Process, Promise<void>>();
const runs = new WeakMap<Process, Run<unknown>>();

/** Declares how sources of `def` are driven (the driver gets only processes of `def`). */
export function registerDriver<P, S>(def: Definition<P, S>, driver: (source: Instance<P, S>) => Promise<void>): void {
  drivers.set(def, driver as Driver);
}

/** Declares that sink `p` finishes when `promise` settles (after its input ended). */
export function finishesWhen(p: Process, promise: Promise<void>): void {
  finishes.set(p, promise);
}

/** The run `p` takes part in, if any. */
export function runOf(p: Process): Run<unknown> | undefined {
  return runs.get(p);
}

/**
 * `p` was put into the topology while it runs (a buffer the engine inserted
 * next to `beside`): it takes part in the same run, if any.
 */
export function joinRunOf(p: Process, beside: Process): void {
  const run = runs.get(beside);
  if (run === undefined || runs.has(p)) return;
  run.processes.push(p);
  runs.set(p, run);
}

/**
 * A run starts: every process settles once, now that the graph is complete.
 * A process finished before any data (take(0)) ends its streams here.
 */
export function settleAtStart(processes: readonly Process[]): void {
  for (const p of processes) p.def.settle?.(p);
}

/**
 * True when the run of `p` was aborted by an error, or an input of `p` ended
 * uncleanly (an error or a reset upstream): an end is then not a complete stream.
 */
export function aborted(p: Process): boolean {
  return runs.get(p)?.failed === true || p.fault !== undefined;
}

/** Who answers for the errors of processes outside any run (a connection's pipeline), by the process upstream of them. */
const boundaries = new WeakMap<Process | Definition, (error: unknown, at: Process) => void>();

/**
 * Errors raised outside a flow call by `p` or anything downstream of it,
 * outside a run, go to `onError` with the guarding process. Given a definition,
 * every process of that class guards what is downstream of it (one entry for a
 * class, not one per process: sockets come and go by the thousand).
 */
export function guard(p: Process | Definition, onError: (error: unknown, at: Process) => void): void {
  boundaries.set(p, onError);
}

/** Sends an error raised outside a flow call (a deferred flush) to the run of `p`, or to the guard upstream of it. */
export function fault(p: Process, error: unknown): void {
  const run = runs.get(p);
  if (run) {
    run.fail(error);
    return;
  }
  for (const q of upstream(p)) {
    const onError = boundaries.get(q) ?? boundaries.get(q.def);
    if (onError) return onError(error, q);
  }
  queueMicrotask(() => { throw error; });
}

/**
 * Calls `attempt` now and again whenever the far end of `port` becomes writable,
 * until it returns true (it must return true once the port has ended). Used by
 * processes that still hold output after their input ended.
 */
export function untilWritten(p: Process, port: string, attempt: () => boolean): void {
  const step = (): void => {
    let done: boolean;
    try {
      done = attempt();
    } catch (error) {
      fault(p, error);
      return;
    }
    if (!done) void p.whenWritableAgain(port).then(step);
  };
  step();
}

export class Run<R> {
  /** The sink and everything upstream of it. */
  readonly processes: Process[];
  failed = false;
  error: unknown;
  private started = false;
  private settled = false;
  private resolve!: (r: R) => void;
  private reject!: (e: unknown) => void;
  readonly promise: Promise<R>;

  constructor(readonly sink: Process, private readonly result: () => R) {
    this.processes = upstream(sink);
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The run of `sink`, made on first use. */
  static of<R>(sink: Process, result: () => R): Run<R> {
    const existing = runs.get(sink);
    if (existing) return existing as Run<R>;
    return new Run(sink, result);
  }

  /**
   * Runs sharing processes with this one (the sinks of a copy's branches): an
   * error aborts them all, since it ends the processes they share.
   */
  private readonly partners = new Set<Run<unknown>>();

  /**
   * Starts every source driver once; returns the completion promise. A process
   * already in another run (upstream of a copy whose other branch's sink was
   * started first) stays driven by that run: the two runs become partners.
   */
  start(): Promise<R> {
    if (this.started) return this.promise;
    this.started = true;
    const joined = new Set<Process>();
    for (const p of this.processes) {
      const other = runs.get(p);
      if (other && other !== this) {
        joined.add(p);
        if (other.failed) this.fail(other.error);
        other.partners.add(this as Run<unknown>);
        this.partners.add(other);
      } else {
        runs.set(p, this as Run<unknown>);
      }
    }
    try {
      settleAtStart(this.processes);
    } catch (error) {
      this.fail(error);
    }
    const finished = finishes.get(this.sink) ?? this.sink.whenEnded(firstInput(this.sink));
    finished.then(() => {
      // The sink's input was cut (an error or a reset upstream): not a complete result.
      const truncated = errorOf(this.sink.fault);
      if (truncated !== undefined) this.fail(truncated);
      this.settle();
    }, (error) => {
      this.fail(error);
      this.settle();
    });
    for (const p of this.processes) {
      const driver = drivers.get(p.def);
      if (driver && !joined.has(p)) {
        // Started from a microtask so that the caller holds the promise before any error.
        queueMicrotask(() => driver(p).catch((error) => this.fail(error)));
      }
    }
    return this.promise;
  }

  /** Aborts the run with `error` (the first error wins; errors after completion are ignored). */
  fail(error: unknown): void {
    if (this.settled || this.failed) return;
    this.failed = true;
    this.error = error;
    // A crashed writer: every stream of the run ends with the error as its reason.
    const why = errorEnd(error);
    for (const p of this.processes) {
      p.ports.forEach((far, n) => {
        if (far === 0) return;
        // Ending may run user code again (a buffer drains what it holds into the
        // step that failed). The run already has its error: an aborted run
        // never throws again, and every other port still ends.
        try {
          p.end(n, why);
        } catch {
          // the first error wins
        }
      });
    }
    // The sink finishes with what it already had; settle() then rejects.
    if (!finishes.has(this.sink)) this.settle();
    for (const partner of this.partners) partner.fail(error);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.failed) this.reject(this.error);
    else {
      try {
        this.resolve(this.result());
      } catch (error) {
        this.reject(error);
      }
    }
  }
}

function firstInput(p: Process): number {
  const fixed = p.def.ports.findIndex((_, n) => p.def.isInput(n));
  if (fixed >= 0) return fixed;
  const member = p.ports.findIndex((far, n) => far !== 0 && p.def.isInput(n));
  if (member < 0) throw new Error(`${p.label} has no input port to wait on`);
  return member;
}

/** The process and everything feeding it, through input ports. */
export function upstream(sink: Process): Process[] {
  const seen = new Set<Process>();
  const stack = [sink];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    p.ports.forEach((address, n) => {
      if (address === 0 || !p.def.isInput(n)) return;
      const far = p.farProcess(n);
      if (far) stack.push(far);
    });
  }
  return [...seen];
}
