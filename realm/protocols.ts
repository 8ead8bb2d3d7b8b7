/**
 * Conventions other parts of the engine speak over realms. Only the shapes
 * live here; the engine decides where to raise them.
 *
 * #error: a process whose step failed raises `#error(report)` from its realm
 * and acts on the reply. A supervisor above answers 'retry' (run the step
 * again), 'skip' (drop the item and go on) or 'abort'. No answer, or an
 * answer that is none of these, means 'abort': the default is to stop the
 * process, never to guess.
 */
import type { Space } from './space.js';

export const ERROR_TOPIC = 'error';

export type ErrorDecision = 'retry' | 'skip' | 'abort';

export interface ErrorReport {
  /** Label or address of the failing process. */
  readonly process: string;
  /** The port whose flow failed. */
  readonly port: string;
  /** Position of the failing item in the flow. */
  readonly index: number;
  readonly cause: unknown;
  /** The item the failing step was given, when the reporter knows it. */
  readonly element?: unknown;
  /** How many times the step has failed on this item so far (1 for the first report). */
  readonly attempts?: number;
}

const DECISIONS: ReadonlySet<unknown> = new Set<ErrorDecision>(['retry', 'skip', 'abort']);

/** Raise `#error(report)` from `space` and normalise the reply to a decision. */
export async function raiseError(space: Space, report: ErrorReport): Promise<ErrorDecision> {
  const reply = await space.signal(ERROR_TOPIC, report);
  return DECISIONS.has(reply) ? (reply as ErrorDecision) : 'abort';
}
