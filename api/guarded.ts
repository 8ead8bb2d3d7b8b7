// Error policies on chains: which user functions are guarded, and how.
//
// User functions reach processes as parameters that their definitions declare
// as callbacks (`mapper()`, `predicate()`, `reducer()` in engine/definition.ts),
// and only those are guarded. A chain whose source is an IO source (a file, stdin, a stream) guards them by default with
// the 'abort' policy, so an exception names the process and the element index;
// `onError(policy)` sets the policy for the steps that follow, on any chain.
// In-memory chains (`io.from(array)`) are not guarded unless asked: a guard is
// one more call per element, and the fused code for one shape is shared by
// every chain of that shape.
import type { Definition } from '../engine/definition.js';
import { guard, SKIP, type ErrorPolicy, type ErrorReporter, type SkipValue } from '../engine/policy.js';
import type { Process } from '../engine/process.js';
import { placeIn, placement } from '../realm/placement.js';
import { filterMap } from '../processes/elements/filter-map.js';
import { map } from '../processes/elements/map.js';

interface Config {
  policy: ErrorPolicy;
  report?: ErrorReporter;
}

const policies = new WeakMap<Process, Config>();
const guardedSources = new Set<Definition>();

/** Chains from sources of `def` are guarded ('abort') by default. */
export function guardByDefault(def: Definition): void {
  guardedSources.add(def);
}

/** Sets the policy for the steps that follow on the chain from `source`. */
export function setPolicy(source: Process, policy: ErrorPolicy, report?: ErrorReporter): void {
  policies.set(source, { policy, report });
}

export function policyOf(source: Process): Config | undefined {
  return policies.get(source) ?? (guardedSources.has(source.def) ? { policy: 'abort' } : undefined);
}

type Guarded = { def: Definition; params: Record<string, unknown>; bind: (p: Process) => void };

/** How steps are guarded under the 'realm' policy; installed by api/realm.ts. */
let realmSteps: ((def: Definition, params: Record<string, unknown>) => Guarded) | undefined;

export function guardRealmStepsWith(fn: (def: Definition, params: Record<string, unknown>) => Guarded): void {
  realmSteps = fn;
}

function defaultReport(error: Error): void {
  process.emitWarning(error.message, 'PushbackSkipped');
}

/**
 * The definition and parameters a chain step gets under its source's policy,
 * and `bind`, which names the process in messages once it exists.
 */
export function guardUserCode(source: Process, def: Definition, params: Record<string, unknown>): {
  def: Definition; params: Record<string, unknown>; bind: (p: Process) => void;
} {
  const config = policyOf(source);
  // A chain placed in a realm (Chain.within) keeps its later steps there too.
  const realm = placement(source);
  const place = realm === undefined ? () => undefined : (p: Process) => placeIn(p, realm);
  const names = [...def.callbacks.keys()].filter((k) => typeof params[k] === 'function');
  if (!config || names.length === 0) return { def, params, bind: place };
  if (config.policy === 'realm') {
    const step = realmSteps!(def, params);
    return { def: step.def, params: step.params, bind: (p) => { place(p); step.bind(p); } };
  }
  const skips = config.policy === 'skip' || (typeof config.policy === 'object' && config.policy.then === 'skip');
  const report = config.report ?? defaultReport;
  const binds: ((label: string) => void)[] = [];
  const out = { ...params };
  let step = def;
  for (const k of names) {
    // A skipped reducer call leaves the accumulator as it was; a skipped predicate keeps nothing.
    const role = def.callbacks.get(k);
    const arity = role === 'reducer' ? 2 : 1;
    const skip: SkipValue = role === 'predicate' ? 'false' : role === 'reducer' ? 'accumulator' : 'skip';
    const g = guard(params[k] as (...a: never[]) => unknown, arity, config.policy, skip, report);
    out[k] = g.fn;
    binds.push(g.bind);
  }
  // A mapper that skips must be able to drop its element.
  if (def === map && skips) {
    step = filterMap;
    out.skip = SKIP;
  }
  return { def: step, params: out, bind: (p) => { place(p); binds.forEach((b) => b(p.label)); } };
}
