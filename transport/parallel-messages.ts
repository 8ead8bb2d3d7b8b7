// What the thread that runs a chain in parallel asks a worker host: run these
// per-element steps over every chunk that comes through one ring, and write
// each chunk's outputs to the other ring. The request goes by postMessage;
// the chunks go through the rings (transport/ring-*.ts).
import type { PackedParam, PackedParams } from './portable-params.js';

/** One step of the chain: a registered process by name, and its parameters packed for another host. */
export interface StageSpec {
  /** The registered process name (processes/registry.ts). */
  readonly name: string;
  /** What the user called the step (filter for grep), for messages. */
  readonly step: string;
  readonly params: PackedParams;
}

/**
 * A reduction of each chunk's outputs to one partial result, combined on the
 * thread that asked (see api/parallel.ts): fold with a portable function and
 * a seed, or count, or sum.
 */
export type PartialSpec =
  | { readonly kind: 'fold'; readonly f: PackedParam; readonly seed: Uint8Array }
  | { readonly kind: 'count' }
  | { readonly kind: 'sum' };

/**
 * The chain's error policy, applied to the user functions on the worker
 * (engine/policy.ts): a call that throws is tried `retry` more times, then
 * the element is dropped (`skip`) or the job fails (`abort`).
 */
export interface WorkerPolicy {
  readonly retry: number;
  readonly then: 'abort' | 'skip';
}

/**
 * What a worker says about an element it dropped under a skipping policy: the
 * step, the element's position in that step's input within its chunk, and the
 * error, as it crosses a thread.
 */
export interface SkipReport {
  readonly step: string;
  /** The guarded function that dropped it: its place in the chunk's `calls`. */
  readonly counter: number;
  readonly index: number;
  readonly attempts: number;
  readonly name: string;
  readonly message: string;
}

/**
 * What a worker says after each chunk's outputs under a skipping policy: how
 * many elements each guarded function was called with in the chunk (by
 * counter), and the reports of what it dropped. The asking thread adds up the
 * calls of the chunks before, in source order, so that a report gives the
 * element's position in the step's whole input, as one thread would.
 */
export interface ChunkSkips {
  readonly calls: readonly number[];
  readonly reports: readonly SkipReport[];
}

export interface ParallelRequest {
  readonly kind: 'parallel';
  /** The steps, in order; the worker fuses them into one chain. */
  readonly stages: readonly StageSpec[];
  readonly partial?: PartialSpec;
  /**
   * Absent: a throw fails the job. Present: applied on the worker; when it can
   * skip, every chunk's answer is followed by a second chunk of one value,
   * its ChunkSkips (the reports often none).
   */
  readonly policy?: WorkerPolicy;
  /** Chunks in: the asking thread writes, the worker reads. */
  readonly input: SharedArrayBuffer;
  /** Outputs: one chunk out for each chunk in, in the same order. */
  readonly output: SharedArrayBuffer;
}
