/**
 * Where processes live. Every process lives in a realm: the container's own
 * (`io.realm`) unless it was created in another one. Placement is kept here,
 * off the process object, so that creating a process costs nothing more when
 * it stays in the container's realm (a merge creates a thousand per run).
 */
import { engineHooks } from '../engine/hooks.js';
import type { Process } from '../engine/process.js';
import type { Realm } from './realm.js';

// The engine's hook for ends of stream, re-exported where it used to live.
export { engineHooks };

const placed = new WeakMap<Process, Realm>();

type EndHook = (process: Process, port: number) => void;
const endListeners = new Map<string, EndHook>();

/**
 * Listen for ends of stream under `name` (undefined stops listening). The
 * engine calls one hook; this keeps it undefined while nobody listens, and
 * a single function while one does.
 */
export function listenForEnds(name: string, hook: EndHook | undefined): void {
  if (hook === undefined) endListeners.delete(name);
  else endListeners.set(name, hook);
  const hooks = [...endListeners.values()];
  engineHooks.ended = hooks.length === 0 ? undefined : hooks.length === 1 ? hooks[0] : (p, n) => {
    for (const h of hooks) h(p, n);
  };
}

/** Puts `p` in `realm`, which must belong to the same World as its container's realm. */
export function placeIn(p: Process, realm: Realm): void {
  if (realm.world !== p.io.realm.world) {
    throw new TypeError(`${p.label}: realm ${realm.label} belongs to another World than its container's realm ${p.io.realm.label}`);
  }
  placed.set(p, realm);
  const before = tenants.get(p);
  const tenancy = tenancies.get(realm);
  if (before === tenancy) return;
  if (before !== undefined) leave(p, before);
  if (tenancy !== undefined) enter(p, tenancy);
}

// ---------------------------------------------------------------- realms made for their processes

// A realm made for a chain (`chain.within('name')`) lives as long as the
// processes placed in it: when the last of them has finished (every
// connected port has ended, one way or the other: a complete run, an aborted
// one) or has been collected, the realm stops. Otherwise each such call
// would leave a realm behind for good (one per connection in a server).

class Tenancy {
  members = 0;
  constructor(readonly realm: Realm) {}
}

const tenancies = new WeakMap<Realm, Tenancy>();
const tenants = new WeakMap<Process, Tenancy>();
const collected = new FinalizationRegistry<Tenancy>((t) => release(t));
let tracked = 0;

/** `realm` was made for the processes that will be placed in it: it stops when they have all finished. */
export function madeForProcesses(realm: Realm): Realm {
  tenancies.set(realm, new Tenancy(realm));
  return realm;
}

function enter(p: Process, t: Tenancy): void {
  tenants.set(p, t);
  t.members++;
  collected.register(p, t, p);
  if (tracked++ === 0) listenForEnds('tenancy', onEnded);
}

function leave(p: Process, t: Tenancy): void {
  tenants.delete(p);
  collected.unregister(p);
  release(t);
}

function release(t: Tenancy): void {
  if (--tracked === 0) listenForEnds('tenancy', undefined);
  if (--t.members === 0 && !t.realm.stopped) t.realm.stop();
}

function onEnded(p: Process, port: number): void {
  // Called before the peer hears of the end: look at both once it has.
  const peer = p.peer(port)?.process;
  if (tenants.has(p) || (peer !== undefined && tenants.has(peer))) {
    queueMicrotask(() => {
      check(p);
      if (peer !== undefined) check(peer);
    });
  }
}

function check(p: Process): void {
  const t = tenants.get(p);
  if (t !== undefined && finished(p)) leave(p, t);
}

/** Every connected port has ended, one way or the other. */
function finished(p: Process): boolean {
  let done = true;
  p.ports.forEach((far, n) => {
    if (far === 0 || !done) return;
    const [byPeer, byUs] = p.endState(n);
    if (!byPeer && !byUs) done = false;
  });
  return done;
}

/** The realm `p` lives in. */
export function realmOf(p: Process): Realm {
  return placed.get(p) ?? p.io.realm;
}

/** The realm `p` was explicitly placed in, if any (processes made after it on a chain go there too). */
export function placement(p: Process): Realm | undefined {
  return placed.get(p);
}
