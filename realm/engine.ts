/**
 * The realm integration with the engine.
 *
 * - The IO container has a root realm (`io.realm`): a World of its own, or
 *   the realm given as `new IO({ realm })`. Processes live in it unless they
 *   were created in another realm of the same World.
 * - Connection and end-of-stream states are proclamations pinned to the
 *   realm of the process they describe:
 *
 *     $connected(process, port, { process: peer, port: peerPort })
 *     $ended(process, port, reason)  `process` ended its stream on `port`, and why
 *
 *   Both are retracted when the connection ends. They are maintained only
 *   while some subscription in the World could see them: until then no port
 *   observer is installed and no tuple is built, so connect and disconnect
 *   cost what they cost without realms. When the first such subscription
 *   appears, the current connections are proclaimed (a late subscriber sees
 *   what is already there); when the last one ends, they are all retracted.
 * - Supervised user code (the 'realm' error policy) throws a SupervisedError
 *   out of the fused flow; the chain's gate (api/realm.ts) catches it,
 *   and `ask` raises `#error(report)` from the failing process's realm.
 *
 * The engine drives the World's scheduler itself: after it raises a signal or
 * changes a proclamation it runs the World at the next microtask (unless the
 * World is already running). There are no timers, so runs stay deterministic.
 */
import { localAddress, objectOf, portOf, type LocalAddress } from '../engine/address.js';
import type { Definition } from '../engine/definition.js';
import { installRealms } from '../engine/hooks.js';
import type { IO } from '../engine/io.js';
import { UserCodeError, describe as describeCause } from '../engine/policy.js';
import { END, observe, type PortEvent } from '../engine/ports.js';
import type { Process } from '../engine/process.js';
import { coreOf } from './fields.js';
import { listenForEnds, placeIn, realmOf } from './placement.js';
import type { Proclamation } from './proclamations.js';
import { raiseError, type ErrorDecision } from './protocols.js';
import type { Realm } from './realm.js';
import { World } from './world.js';

// The engine reaches realms through its hooks (engine/hooks.ts): the root realm
// of a container, placing a process, the realm a process lives in.
installRealms({ root: rootRealm, place: placeIn, of: realmOf });

export const CONNECTED = 'connected';
export const ENDED = 'ended';

// ---------------------------------------------------------------- driving the World

const kicked = new WeakSet<World>();

/** Run `world` at the next microtask, once, unless it is running already. */
export function kick(world: World): void {
  if (kicked.has(world)) return;
  kicked.add(world);
  queueMicrotask(() => {
    kicked.delete(world);
    if (world.scheduler.running) return;
    // A handler that threw without an onError hook is rethrown by the
    // scheduler; report it and go on, so the other tasks still run.
    for (let rounds = 0; rounds < 1000; rounds++) {
      try {
        world.run();
        return;
      } catch (error) {
        process.emitWarning(error instanceof Error ? error : String(error), 'PushbackRealm');
      }
    }
  });
}

// ---------------------------------------------------------------- the root realm and its proclamations

interface Marks {
  connected?: Proclamation;
  ended?: Proclamation;
}

class Link {
  enabled = false;
  unobserve: (() => void) | undefined;
  /** What is proclaimed about each port (by local address). */
  readonly marks = new Map<LocalAddress, Marks>();

  constructor(
    readonly io: WeakRef<IO>,
    readonly realm: Realm,
  ) {}
}

const links = new WeakMap<IO, Link>();

/** The root realm of `io`: `given`, or a new World. Called once, by the container. */
export function rootRealm(io: IO, given: Realm | undefined): Realm {
  if (given !== undefined && given.stopped) throw new TypeError(`realm ${given.label} is stopped`);
  const realm = given ?? new World({ name: 'io' });
  const link = new Link(new WeakRef(io), realm);
  links.set(io, link);
  const kernel = realm[coreOf].kernel;
  // An asynchronous handler answered: run the World so that its reply goes on.
  kernel.onWake(() => kick(realm.world));
  // Told while a subscription commits: look again at the next microtask.
  let queued = false;
  const cancel = kernel.watchInterest(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      const live = link.io.deref();
      if (live === undefined) cancel();
      else update(link, live);
    });
  });
  // Subscriptions made before the container existed count too.
  if (wanted(link)) queueMicrotask(() => update(link, io));
  return realm;
}

function wanted(link: Link): boolean {
  const kernel = link.realm[coreOf].kernel;
  return !link.realm.stopped && (kernel.interested(CONNECTED) || kernel.interested(ENDED));
}

function update(link: Link, io: IO): void {
  const want = wanted(link);
  if (want && !link.enabled) enable(link, io);
  else if (!want && link.enabled) disable(link);
}

let enabledLinks = 0;

function enable(link: Link, io: IO): void {
  link.enabled = true;
  if (enabledLinks++ === 0) listenForEnds('proclamations', onEnded);
  link.unobserve = observe(io, (e) => onPortEvent(link, io, e));
  for (const p of io.processes()) {
    p.ports.forEach((far, n) => {
      if (far === 0) return;
      markConnected(link, p, n);
      if (p.endState(n)[1]) markEnded(link, p, n);
    });
  }
  kick(link.realm.world);
}

function disable(link: Link): void {
  link.enabled = false;
  if (--enabledLinks === 0) listenForEnds('proclamations', undefined);
  link.unobserve?.();
  link.unobserve = undefined;
  for (const m of link.marks.values()) {
    m.connected?.retract();
    m.ended?.retract();
  }
  link.marks.clear();
  kick(link.realm.world);
}

function marksOf(link: Link, address: LocalAddress): Marks {
  let m = link.marks.get(address);
  if (m === undefined) link.marks.set(address, (m = {}));
  return m;
}

function markConnected(link: Link, p: Process, n: number): void {
  const far = p.ports[n] ?? 0;
  const peer = far === 0 ? undefined : p.io.processFor(objectOf(far));
  const realm = p.realm;
  if (peer === undefined || realm.stopped) return;
  const m = marksOf(link, localAddress(p.id, n));
  m.connected?.retract();
  m.connected = realm.proclaim(CONNECTED, p, p.portName(n), { process: peer, port: peer.portName(portOf(far)) });
}

function markEnded(link: Link, p: Process, n: number): void {
  const realm = p.realm;
  if (realm.stopped) return;
  const m = marksOf(link, localAddress(p.id, n));
  // Why it ended: { reason: 'end' }, { reason: 'error', error } or { reason: 'reset' }.
  if (m.ended === undefined) m.ended = realm.proclaim(ENDED, p, p.portName(n), p.sentReason(n) ?? END);
}

function unmark(link: Link, address: LocalAddress): void {
  const m = link.marks.get(address);
  if (m === undefined) return;
  link.marks.delete(address);
  m.connected?.retract();
  m.ended?.retract();
}

function at(io: IO, address: LocalAddress): [Process, number] | undefined {
  const p = io.processFor(objectOf(address));
  return p === undefined ? undefined : [p, portOf(address)];
}

function onPortEvent(link: Link, io: IO, e: PortEvent): void {
  switch (e.op) {
    case 'connect':
      for (const address of [e.a, e.b]) {
        const end = at(io, address);
        if (end) markConnected(link, ...end);
      }
      break;
    case 'disconnect':
      unmark(link, e.a);
      unmark(link, e.b);
      break;
    case 'move': {
      unmark(link, e.from);
      const to = at(io, e.to);
      if (to) {
        markConnected(link, ...to);
        if (to[0].endState(to[1])[1]) markEnded(link, ...to);
      }
      const peer = at(io, e.peer);
      if (peer) markConnected(link, ...peer); // its peer changed
      break;
    }
    default:
      return;
  }
  kick(link.realm.world);
}

function onEnded(p: Process, n: number): void {
  const link = links.get(p.io);
  if (link === undefined || !link.enabled || (p.ports[n] ?? 0) === 0) return;
  markEnded(link, p, n);
  kick(link.realm.world);
}

// ---------------------------------------------------------------- supervised user code

/**
 * Thrown out of fused code by supervised user code (the 'realm' policy): it
 * names the failing process and the element it was given, so that the element
 * can be retried at that process without running the steps before it again.
 * The gate that catches it fills in `index`; one that escapes every gate (a
 * step after a buffer, a pull) fails the run like the 'abort' policy.
 */
export class SupervisedError extends UserCodeError {
  #located = false;

  constructor(
    /** The process whose user code threw. */
    readonly target: Process,
    /** What that code was given (the element; for a reducer, the element and not the accumulator). */
    readonly element: unknown,
    cause: unknown,
  ) {
    super(target.label, -1, cause);
    this.message = `${target.label}: user code threw outside the part of the chain that onError('realm') supervises: ${describeCause(cause)}`;
  }

  get located(): boolean {
    return this.#located;
  }

  /** Sets the position of the element in the supervised stream. */
  locate(index: number): this {
    (this as { index: number }).index = index;
    this.#located = true;
    this.message = `${this.target.label}: user code threw at element ${index}: ${describeCause(this.cause)}`;
    return this;
  }
}

/**
 * The site of a supervised step written as a snippet (api/realm.ts):
 * the snippet calls its user function directly, in a `try` whose `catch`
 * throws `site.fail(element, cause)`. The fused code still calls the user
 * function itself (so it can be inlined), and a `try` costs nothing on the
 * path that does not throw.
 */
export class Site {
  process: Process | undefined = undefined;

  /** The error to throw when the user function threw `cause` on `element`. */
  fail(element: unknown, cause: unknown): SupervisedError | unknown {
    return this.process === undefined ? cause : new SupervisedError(this.process, element, cause);
  }
}

/** The supervised failure `error` stands for, if it is one no gate has taken yet. */
export function failureOf(error: unknown): SupervisedError | undefined {
  return error instanceof SupervisedError && !error.located ? error : undefined;
}

/**
 * Wraps user function `f` (called with (x), or (acc, x) for a reducer) for
 * the 'realm' policy: a throw becomes a SupervisedError. Used for steps that
 * have no snippet form; the wrapper is a closure per step, which the fused
 * code calls instead of `f` (slower: each chain brings a new callee).
 */
export function supervisedGuard<F extends (...args: never[]) => unknown>(
  f: F,
  arity: 1 | 2,
  def: Definition,
): { fn: F; bind: (p: Process) => void } {
  const rule = def.flowRules.get('>in');
  if (rule?.kind !== 'each') {
    throw new TypeError(`${def.name}: onError('realm') supervises steps that call user code once per element; ${def.name} does not`);
  }
  let target: Process | undefined;
  const call = f as unknown as (a: unknown, b?: unknown) => unknown;
  const fn = arity === 2
    ? (a: unknown, b: unknown): unknown => {
      try {
        return call(a, b);
      } catch (cause) {
        throw new SupervisedError(target!, b, cause);
      }
    }
    : (a: unknown): unknown => {
      try {
        return call(a);
      } catch (cause) {
        throw new SupervisedError(target!, a, cause);
      }
    };
  return { fn: fn as unknown as F, bind: (p) => void (target = p) };
}

/**
 * Raise `#error(report)` from the failing process's realm and wait for the
 * decision. A stopped realm, or no answer, means 'abort'.
 */
export async function ask(error: SupervisedError, attempts: number): Promise<ErrorDecision> {
  const p = error.target;
  const realm = p.realm;
  if (realm.stopped) return 'abort';
  const decision = raiseError(realm, { process: p.label, port: 'in', index: error.index, cause: error.cause, element: error.element, attempts });
  kick(realm.world);
  return decision;
}
