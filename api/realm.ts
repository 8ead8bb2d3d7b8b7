// Chains and realms: supervision by the realm, and chains placed in realms
// (sandboxes, which hold a vassal of the IO container, are in sandbox/).
//
//   await io.from(xs).onError('realm').map(f).grep(p).collect().completion();
//
// onError('realm') puts a gate at the chain's tail and guards the user code of
// the steps that follow. The gate runs the loop that pushes elements on, fused
// with those steps as usual; a throw in their user code unwinds to the gate,
// which then holds the chunk:
//
//   1. what went through before the bad element is committed (the fused code
//      wrote its state back, as it does on every exit);
//   2. the gate keeps the elements after it and admits nothing, so the source
//      pauses the way it pauses for a slow consumer (its position is right:
//      the gate took the whole chunk);
//   3. `#error(report)` is raised from the failing process's realm and the
//      reply decides: 'retry' gives the element to the failing process again
//      (the steps before it do not run twice), 'skip' drops it there, 'abort'
//      (also: no handler, or an answer that is none of the three) fails the
//      run with a UserCodeError: every port ends with an error end and
//      completion() rejects. Retries yield to the event loop first, and past
//      the realm's retry budget (engine/policy.ts) the answer is 'abort';
//   4. the held elements go on through the gate, which may pause again, and
//      the source is told it may write again. An end of stream that arrived
//      meanwhile is passed on only now, so the sink never finishes early.
//
// Supervision covers the element steps between the gate and the next chunk
// barrier (a buffer, a sink that writes), on pushed flows. A throw beyond them
// (or under the synchronous `run()`, which cannot wait for an answer) fails
// the run like 'abort'; call onError('realm') again after a barrier.
import type { Elements } from '../engine/flowable.js';
import { admitWith, chunk, define, each, jit, jitAdmit, type Definition } from '../engine/definition.js';
import { RETRY_BUDGET_FIELD, RetryBudgetError, UserCodeError, retryBudget, yieldToEventLoop } from '../engine/policy.js';
import type { Process } from '../engine/process.js';
import { ask, failureOf, Site, supervisedGuard, type SupervisedError } from '../realm/engine.js';
import { madeForProcesses, placeIn } from '../realm/placement.js';
import { Realm } from '../realm/realm.js';
import type { IO } from '../engine/io.js';
import { snapshot, type SnapshotOptions, type SnapshotReport } from '../freezer/snapshot.js';
import { runOf, upstream, type Run } from '../engine/run.js';
import { code } from '../codegen/code.js';
import type { Chain } from './chain.js';
import { each as eachDef } from '../processes/sinks/each.js';
import { fold } from '../processes/sinks/fold.js';
import { grep } from '../processes/elements/grep.js';
import { guardRealmStepsWith, setPolicy } from './guarded.js';
import { map } from '../processes/elements/map.js';
import { reduce } from '../processes/sinks/reduce.js';
import { scan } from '../processes/elements/scan.js';

// ---------------------------------------------------------------- the gate

export const gate = define('gate', {
  ports: ['in', 'out'],
  inputs: ['in'],
  state: {
    /** Elements taken from the source and not yet passed on (null: not paused). */
    held: () => null as Elements | null,
    /** Elements that entered the supervised steps so far: the index in reports. */
    seen: () => 0,
    /** The input ended while paused: pass the end on once the held elements are through. */
    endPending: () => false,
  },
  onEnd: (g, port) => {
    if (port === 'in' && g.state.held !== null) g.state.endPending = true;
    else g.endOthers(port);
  },
})
  .admittance('>in', 'held === null ? admit("out>") : 0')
  .flow('>in', jit((g) => {
    const j = g.fresh('j');
    const x = g.fresh('x');
    const e = g.fresh('e');
    const seen = g.state('seen');
    const fail = g.constant(caught, 'caught');
    return code`let ${j} = ${g.start};
try {
for (; ${j} < ${g.end}; ${j}++) {
const ${x} = ${g.xs}[${j}];
${g.element('out>', x)}
}
} catch (${e}) {
${fail}(${g.self()}, ${e}, ${g.xs}, ${j} + 1, ${g.end}, ${seen} + (${j} - ${g.start}));
${j}++;
}
${seen} += ${j} - ${g.start};`;
  }))
  // Pulls pass through unsupervised.
  .admittance('<out', 'in<')
  .flow('<out', 'in<');

/**
 * Called by the gate's fused code when the steps after it threw. A supervised
 * failure pauses the gate and starts asking the realm; anything else (or no
 * asynchronous run to pause) goes on up, failing the flow as before.
 */
function caught(g: Process, error: unknown, xs: Elements, from: number, end: number, index: number): void {
  const failure = failureOf(error);
  if (failure === undefined || !downstream(g).has(failure.target)) throw error;
  failure.locate(index);
  const run = runOf(g);
  if (run === undefined || run.failed) throw failure;
  g.state.held = xs.slice(from, end);
  void resolve(g, failure, run);
}

/** Ask the realm about `first` (and about the retries), then release what the gate holds. */
async function resolve(g: Process, first: SupervisedError, run: Run<unknown>): Promise<void> {
  try {
    let error = first;
    let attempts = 1;
    let retries = 0;
    for (;;) {
      const decision = await ask(error, attempts);
      if (run.failed || g.isEnded('out')) break;
      if (decision === 'abort') {
        g.state.held = null;
        run.fail(new UserCodeError(error.target.label, error.index, error.cause, attempts));
        return;
      }
      if (decision === 'skip') break;
      const budget = retryBudget(error.target.realm.get(RETRY_BUDGET_FIELD));
      if (++retries > budget) {
        g.state.held = null;
        run.fail(new RetryBudgetError(error.target.label, error.index, error.cause, attempts, budget));
        return;
      }
      // Between retries the event loop runs: timers and I/O go on while a supervisor insists.
      await yieldToEventLoop();
      if (run.failed || g.isEnded('out')) break;
      try {
        await redeliver(g, error.target, error.element, run);
        break;
      } catch (thrown) {
        const again = failureOf(thrown);
        if (again === undefined) throw thrown;
        // The retried element failed again, here or in a later step.
        attempts = again.target === error.target ? attempts + 1 : 1;
        error = again.locate(error.index);
      }
    }
    await release(g, run);
  } catch (error) {
    g.state.held = null;
    run.fail(error);
  }
}

/** Give `element` to `target` again: its steps and the ones after it run; the ones before do not. */
async function redeliver(g: Process, target: Process, element: unknown, run: Run<unknown>): Promise<void> {
  const one = [element];
  for (;;) {
    if (run.failed || g.isEnded('out')) return;
    if (target.entry('>in', 'admittance').ready()(1) > 0) {
      target.entry('>in', 'flow').ready()(one, 0, 1);
      return;
    }
    await g.whenWritableAgain('out');
  }
}

/** Pass the held elements on through the gate (which may pause again), then let the source go on. */
async function release(g: Process, run: Run<unknown>): Promise<void> {
  const held = g.state.held as Elements;
  g.state.held = null;
  let at = 0;
  while (at < held.length && !run.failed && !g.isEnded('out')) {
    const k = g.entry('>in', 'admittance').ready()(held.length - at);
    if (k === 0) {
      g.state.held = held.slice(at); // still paused while downstream is full
      await g.whenWritableAgain('out');
      g.state.held = null;
      continue;
    }
    g.entry('>in', 'flow').ready()(held, at, k);
    at += k;
    const again = g.state.held as Elements | null;
    if (again !== null) {
      // Paused again: that pause holds what was left of its chunk, then the rest of ours.
      g.state.held = concat(again, held.slice(at));
      return;
    }
  }
  if (g.state.endPending) {
    g.state.endPending = false;
    g.endOthers('in');
  }
  g.writableAgain('in');
}

function concat(a: Elements, b: Elements): Elements {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }
  return [...(a as ArrayLike<unknown> as unknown[]), ...(b as ArrayLike<unknown> as unknown[])];
}

/** The processes fed by `g`, through output ports (where a failure it catches can come from). */
function downstream(g: Process): Set<Process> {
  const seen = new Set<Process>();
  const stack = [g];
  while (stack.length > 0) {
    const q = stack.pop()!;
    q.ports.forEach((far, n) => {
      if (far === 0 || q.def.isInput(n)) return;
      const next = q.peer(n)?.process;
      if (next && !seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    });
  }
  return seen;
}

// ---------------------------------------------------------------- supervised steps

// The element steps written again with their user call in a try: the fused
// code still calls the user function itself (so it can be inlined), and a
// throw becomes a SupervisedError naming the step and the element on its way
// to the gate. (A try/catch is free in optimised code where a try/finally is
// not.) The copies keep every other rule, the state, the end handling and the
// name of the original.
const TRY = (call: string) => `try { ${call}; } catch (e) { throw site.fail(x, e); }`;
const variants = new Map<Definition, Definition>([
  [map, variant(map, { '>in': `let y; ${TRY('y = f(x)')} emit(y);`, '<out': `let y; ${TRY('y = f(x)')} emit(y);` })],
  [grep, variant(grep, { '>in': `let keep; ${TRY('keep = p(x)')} if (keep) emit(x);` })],
  [scan, variant(scan, { '>in': `let a; ${TRY('a = f(acc, x)')} acc = a; emit(acc);`, '<out': `let a; ${TRY('a = f(acc, x)')} acc = a; emit(acc);` })],
  [reduce, variant(reduce, { '>in': `let a; ${TRY('a = f(acc, x)')} acc = a;` })],
  [fold, variant(fold, { '>in': `let a; ${TRY('a = f(acc, x)')} acc = a;` })],
  [eachDef, variant(eachDef, { '>in': TRY('f(x)') })],
]);

/** A copy of `def` with a `site` parameter and the element rules in `snippets` replaced. */
function variant(def: Definition, snippets: Record<string, string>): Definition {
  const v = define(def.name, {
    ports: [...def.ports, ...(def.range === undefined ? [] : [`${def.range}[]`])],
    inputs: [...def.inputs],
    params: [...def.params, 'site'],
    state: def.stateInit,
    counters: [...def.counters],
    onEnd: def.onEnd,
    settle: def.settle,
  });
  for (const rule of def.admittanceRules.values()) {
    const spec = rule.spec.text;
    if (rule.kind === 'delegate') v.admittance(spec, rule.target.text);
    else if (rule.kind === 'expression') v.admittance(spec, rule.snippet.source);
    else if (rule.kind === 'handler') v.admittance(spec, admitWith(rule.handler));
    else v.admittance(spec, jitAdmit(rule.emit));
  }
  for (const rule of def.flowRules.values()) {
    const spec = rule.spec.text;
    const replaced = snippets[spec];
    if (replaced !== undefined) {
      if (rule.kind !== 'each') throw new TypeError(`${def.name} ${spec}: only element rules are supervised`);
      v.flow(spec, each(replaced, rule.target?.text, { oneToOne: rule.oneToOne }));
    } else if (rule.kind === 'delegate') v.flow(spec, rule.target.text);
    else if (rule.kind === 'chunk') v.flow(spec, chunk(rule.handler));
    else if (rule.kind === 'jit') v.flow(spec, jit(rule.emit));
    else v.flow(spec, each(rule.snippet.source, rule.target?.text, { oneToOne: rule.oneToOne, range: rule.range?.source }));
  }
  return v;
}

guardRealmStepsWith((def, params) => {
  const supervised = variants.get(def);
  if (supervised !== undefined) {
    const site = new Site();
    return { def: supervised, params: { ...params, site }, bind: (p) => void (site.process = p) };
  }
  // No snippet form: each user function is wrapped (one closure per step).
  const out = { ...params };
  const binds: ((p: Process) => void)[] = [];
  for (const [k, role] of def.callbacks) {
    if (typeof params[k] !== 'function') continue;
    const g = supervisedGuard(params[k] as (...a: never[]) => unknown, role === 'reducer' ? 2 : 1, def);
    out[k] = g.fn;
    binds.push(g.bind);
  }
  return { def, params: out, bind: (p) => binds.forEach((b) => b(p)) };
});

/** onError('realm'): a gate at the tail, and the steps after it guarded under the 'realm' policy. */
export function supervise<X>(chain: Chain<X>): Chain<X> {
  setPolicy(chain.source, 'realm');
  return chain.pipe<X>(gate);
}

// ---------------------------------------------------------------- chains in realms

/**
 * chain.within(realm): places the chain's processes, and the steps added after
 * it, in `realm`; a name makes a child realm of the realm the source lives in.
 */
export function within(chain: Chain<unknown>, realm: Realm | string): void {
  // A realm made here lives as long as the processes placed in it.
  const target = typeof realm === 'string' ? madeForProcesses(chain.source.realm.child({ name: realm })) : realm;
  for (const p of upstream(chain.tail)) placeIn(p, target);
}

// ---------------------------------------------------------------- realm snapshots

/** What `realm.snapshot` takes: the snapshot's options and the container whose processes live in the realm. */
export interface RealmSnapshotOptions extends Omit<SnapshotOptions, 'realm'> {
  /** The IO container the realm's processes belong to (a realm does not know its container). */
  readonly io: IO;
}

declare module '../realm/realm.js' {
  interface Realm {
    /**
     * Writes a snapshot of this realm and the realms under it: their fields,
     * proclamations, portable subscriptions and handlers, pending signals, and
     * the processes of `options.io` that live in them (docs/freezer.md).
     * `IO.restore(file)` makes this realm the new container's realm.
     */
    snapshot(file: string, options: RealmSnapshotOptions): Promise<SnapshotReport>;
  }
}

Realm.prototype.snapshot = function (this: Realm, file: string, options: RealmSnapshotOptions): Promise<SnapshotReport> {
  return snapshot(options.io, file, { ...options, realm: this });
};
