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

export interface ParallelRequest {
  readonly kind: 'parallel';
  /** The steps, in order; the worker fuses them into one chain. */
  readonly stages: readonly StageSpec[];
  readonly partial?: PartialSpec;
  /** Chunks in: the asking thread writes, the worker reads. */
  readonly input: SharedArrayBuffer;
  /** Outputs: one chunk out for each chunk in, in the same order. */
  readonly output: SharedArrayBuffer;
}
