// What happens when user code throws inside a flow.
//
//   'abort'            (the default) the run stops with a UserCodeError naming
//                      the process, the element's index and the cause
//   'skip'             the element is dropped (a reducer keeps its accumulator)
//                      and the error is reported, not thrown
//   { retry: k, then } the call is repeated up to k more times on the same
//                      element, then `then` ('abort' unless told otherwise)
//   'realm'            the process's realm decides: an #error signal, answered
//                      retry, skip or abort (see engine/realm/engine.ts and
//                      processes/realm.ts)
//
// User functions reach processes as the parameters `f` (mappers, reducers) and
// `p` (predicates). A guard wraps each one and counts the elements it sees, so
// the index is the element's position in that process's input. Elements before
// the failing one have gone through exactly once; the failing one is either
// retried, dropped, or not delivered at all.

export type ErrorAction = 'abort' | 'skip';
export type ErrorPolicy = ErrorAction | { retry: number; then?: ErrorAction } | 'realm';
export type ErrorReporter = (error: UserCodeError) => void;

export class UserCodeError extends Error {
  override name = 'UserCodeError';
  constructor(
    /** The process label, e.g. `map#4`. */
    readonly process: string,
    /** 0-based position of the element in the process's input. */
    readonly index: number,
    override readonly cause: unknown,
    /** How many times the call was tried. */
    readonly attempts = 1,
  ) {
    super(`${process}: user code threw at element ${index}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}: ${describe(cause)}`);
  }
}

export function describe(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** Returned by a guarded mapper for a skipped element; processes that see it emit nothing. */
export const SKIP: unique symbol = Symbol('pushback.skip');

/** What a guarded call returns instead when its element is skipped. */
export type SkipValue = 'false' | 'accumulator' | 'skip';

export function checkPolicy(policy: unknown): ErrorPolicy {
  if (policy === 'abort' || policy === 'skip' || policy === 'realm') return policy;
  if (typeof policy === 'object' && policy !== null && 'retry' in policy) {
    const { retry, then } = policy as { retry: unknown; then?: unknown };
    if (typeof retry === 'number' && Number.isInteger(retry) && retry >= 0 && (then === undefined || then === 'abort' || then === 'skip')) {
      return { retry, then: then as ErrorAction | undefined };
    }
  }
  throw new TypeError(`error policy must be 'abort', 'skip', 'realm' or { retry: n, then?: 'abort' | 'skip' }, got ${JSON.stringify(policy)}`);
}

export interface Guard<F> {
  fn: F;
  /** Names the process in messages, once it exists. */
  bind(label: string): void;
}

/**
 * Wraps user function `f`, called with one argument (x) or two (acc, x). `skip` says what a skipped call returns: false for a
 * predicate, the accumulator (the first argument) for a reducer, SKIP otherwise.
 */
export function guard<F extends (...args: never[]) => unknown>(f: F, arity: 1 | 2, policy: ErrorPolicy, skip: SkipValue, report?: ErrorReporter): Guard<F> {
  if (policy === 'realm') throw new TypeError("guard: the 'realm' policy is decided by the realm (supervisedGuard in engine/realm/engine.ts)");
  let label = 'process';
  let index = 0;
  const retries = typeof policy === 'object' ? policy.retry : 0;
  const final: ErrorAction = typeof policy === 'object' ? policy.then ?? 'abort' : policy;
  const failed = (cause: unknown, i: number, attempts: number, acc: unknown): unknown => {
    const error = new UserCodeError(label, i, cause, attempts);
    if (final === 'abort') throw error;
    report?.(error);
    return skip === 'false' ? false : skip === 'accumulator' ? acc : SKIP;
  };
  const call = f as unknown as (a: unknown, b?: unknown) => unknown;
  // Two fixed arities (x) and (acc, x): no rest arguments in the hot path.
  const fn = arity === 2
    ? (a: unknown, b: unknown): unknown => {
      const i = index++;
      for (let attempt = 0; ; attempt++) {
        try {
          return call(a, b);
        } catch (cause) {
          if (attempt < retries) continue;
          return failed(cause, i, attempt + 1, a);
        }
      }
    }
    : (a: unknown): unknown => {
      const i = index++;
      for (let attempt = 0; ; attempt++) {
        try {
          return call(a);
        } catch (cause) {
          if (attempt < retries) continue;
          return failed(cause, i, attempt + 1, a);
        }
      }
    };
  return { fn: fn as unknown as F, bind: (l) => { label = l; } };
}
