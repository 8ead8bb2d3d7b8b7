// What happens when user code throws inside a flow.
//
//   'abort'            (the default) the run stops with a UserCodeError naming
//                      the process, the element's index and the cause
//   'skip'             the element is dropped (a reducer keeps its accumulator)
//                      and the error is reported, not thrown
//   { retry: k, then } the call is repeated up to k more times on the same
//                      element, then `then` ('abort' unless told otherwise)
//   'realm'            the process's realm decides: an #error signal, answered
//                      retry, skip or abort (see realm/engine.ts and
//                      api/realm.ts)
//
// User functions reach processes as the parameters their definitions declare
// as callbacks (mappers, predicates, reducers). A guard wraps each one and counts the elements it sees, so
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
  if (policy === 'realm') throw new TypeError("guard: the 'realm' policy is decided by the realm (supervisedGuard in realm/engine.ts)");
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

// ---------------------------------------------------------------- the 'realm' policy: retries

/**
 * How many times the realm may answer 'retry' for one element before the
 * decision becomes 'abort'. A supervisor that always says 'retry' to an
 * element that always fails would otherwise keep the chain on it for ever.
 * A realm (or any realm above it, through its prototype) changes it with the
 * field of this name: `world.set('retryBudget', 10)`.
 */
export const RETRY_BUDGET_FIELD = 'retryBudget';
export const DEFAULT_RETRY_BUDGET = 100;

/** The budget a realm field gives, or the default when it is missing or not a count. */
export function retryBudget(field: unknown): number {
  return typeof field === 'number' && Number.isInteger(field) && field >= 0 ? field : DEFAULT_RETRY_BUDGET;
}

/** The realm answered 'retry' more often than its budget allows: the run fails with this. */
export class RetryBudgetError extends UserCodeError {
  override name = 'RetryBudgetError';
  constructor(process: string, index: number, cause: unknown, attempts: number, readonly budget: number) {
    super(process, index, cause, attempts);
    this.message = `${process}: gave up on element ${index} after ${attempts} attempts: the realm answered 'retry' ${budget} times, its retry budget (realm field '${RETRY_BUDGET_FIELD}'): ${describe(cause)}`;
  }
}

/**
 * Let the event loop run (timers, I/O) before going on. Retries answered at
 * once would otherwise chain microtask after microtask and starve it.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
