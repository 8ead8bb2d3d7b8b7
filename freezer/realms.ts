// The realm tree in a snapshot: the container's realm (or, for a realm
// snapshot, that realm) and the realms under it, each with its name, its
// fields and its proclamations, and which realm each process lives in.
//
// Subscriptions and signal handlers (`realm.on(topic, f)`) are saved when their
// function is portable, as process functions are (freezer/functions.ts), with
// their pattern when the codec carries it; any other is named in the notes
// with how to make it portable. Restore subscribes them again (as new
// subscriptions: they see the restored proclamations, as a late subscriber
// does) and installs the handlers, in the order they were made.
//
// A pending signal (posted, not answered yet) is saved with its realm of
// origin, and restore posts it again from there once the handlers are in
// place: a handler sees it once more, from the restored realm. Its sender is
// gone (the code that awaited the reply is not resumed), so the reply goes
// nowhere; the notes say so for each.
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { coreOf } from '../realm/fields.js';
import { placeIn } from '../realm/placement.js';
import type { Realm } from '../realm/realm.js';
import type { SignalHandler } from '../realm/signals.js';
import type { SubscriptionBody } from '../realm/subscriptions.js';
import { checkCarriable, UncarriableValueError } from '../transport/codec.js';
import { freezeFunction, MAKE_PORTABLE, reviveFunction } from './functions.js';
import type { FrozenParam, SnapshotNote } from './graph.js';

export interface FrozenProclamation {
  readonly topic: string;
  readonly args: readonly unknown[];
  /** Equal proclamations are counted: asserted this many times. */
  readonly count: number;
}

/** A subscription observing a realm (format version 2 on). */
export interface FrozenSubscription {
  /** The pattern as given (an array, its head first). */
  readonly pattern: readonly unknown[];
  /** The body's source: a portable function. */
  readonly body: string;
  /** The realm that subscribed, by its path in the tree; absent when it is the observed realm itself. */
  readonly owner?: readonly number[];
}

/** A signal handler installed on a realm for one topic (format version 2 on). */
export interface FrozenHandler {
  readonly topic: string;
  readonly handler: string;
  readonly owner?: readonly number[];
}

/** A signal posted from a realm and not answered when the snapshot was taken (format version 2 on). */
export interface FrozenSignal {
  readonly topic: string;
  readonly args: readonly unknown[];
}

export interface FrozenRealm {
  readonly name: string;
  readonly detached: boolean;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly proclamations: readonly FrozenProclamation[];
  readonly children: readonly FrozenRealm[];
  /** Absent in format version 1, which saved none. */
  readonly subscriptions?: readonly FrozenSubscription[];
  readonly handlers?: readonly FrozenHandler[];
  /** Posted from this realm, not answered yet. */
  readonly signals?: readonly FrozenSignal[];
}

function carriable(value: unknown): boolean {
  try {
    checkCarriable(value, 'value');
    return true;
  } catch (e) {
    if (e instanceof UncarriableValueError) return false;
    throw e;
  }
}

/** The engine's own proclamations (port states) name processes: a restored graph proclaims them again itself. */
function aboutProcesses(args: readonly unknown[], processes: ReadonlySet<unknown>): boolean {
  return args.some((a) => processes.has(a) || (typeof a === 'object' && a !== null && Object.values(a).some((v) => processes.has(v))));
}

/**
 * The tree under `top` (the container's realm unless a realm snapshot names
 * another), and the path (child positions from the top) of every realm in it.
 */
export function freezeRealms(io: IO, live: readonly Process[], notes: SnapshotNote[], top: Realm = io.realm): { tree: FrozenRealm; paths: Map<Realm, number[]> } {
  const paths = new Map<Realm, number[]>();
  const processes = new Set<unknown>(live);
  // The paths first: a subscription's owner may be a realm further down.
  const mark = (realm: Realm, path: number[]): void => {
    paths.set(realm, path);
    realm.children.filter((c) => !c.stopped).forEach((c, i) => mark(c, [...path, i]));
  };
  mark(top, []);
  const seen = new Map<string, FrozenParam>();
  const walk = (realm: Realm): FrozenRealm => {
    const fields: Record<string, unknown> = {};
    for (const key of realm.ownKeys()) {
      const value = realm.get(key);
      if (carriable(value)) fields[key] = value;
      else notes.push({ process: realm.label, what: `its field '${key}' holds a value a snapshot cannot carry`, restore: 'leaves the field unset' });
    }
    const proclamations: FrozenProclamation[] = [];
    for (const m of realm.proclamations()) {
      if (aboutProcesses(m.args, processes)) continue;
      if (carriable(m.args)) proclamations.push({ topic: m.topic, args: m.args, count: m.count });
      else notes.push({ process: realm.label, what: `its proclamation $${m.topic} holds a value a snapshot cannot carry`, restore: 'does not proclaim it' });
    }
    const subscriptions = freezeSubscriptions(realm, paths, notes, seen);
    const handlers = freezeHandlers(realm, paths, notes, seen);
    const signals = freezeSignals(realm, paths, notes);
    const children = realm.children.filter((c) => !c.stopped).map(walk);
    return { name: realm.name, detached: realm.isDetached, fields, proclamations, children, subscriptions, handlers, signals };
  };
  return { tree: walk(top), paths };
}

/** The owner's path when it is not the realm itself; `null` when it is outside the tree. */
function ownerPath(owner: Realm, realm: Realm, paths: Map<Realm, number[]>): { owner?: readonly number[] } | null {
  if (owner === realm) return {};
  const path = paths.get(owner);
  return path === undefined ? null : { owner: path };
}

/** The portable subscriptions observing `realm`, in the order they were made; notes for the others. */
function freezeSubscriptions(realm: Realm, paths: Map<Realm, number[]>, notes: SnapshotNote[], seen: Map<string, FrozenParam>): FrozenSubscription[] {
  // Read from the realm's core: the facade offers no list (read only, nothing here changes them).
  const core = realm[coreOf];
  const observing = new Set([...core.subsAnyTopic, ...core.signalSubs]);
  for (const subs of core.subsByTopic.values()) for (const sub of subs) observing.add(sub);
  const out: FrozenSubscription[] = [];
  for (const sub of observing) {
    if (sub.cancelled) continue;
    const what = `it is observed by the subscription ${sub.pattern.source} of ${sub.owner.label}`;
    const owner = ownerPath(sub.owner.facade, realm, paths);
    if (owner === null) {
      notes.push({ process: realm.label, what: `${what}, a realm outside the snapshot`, restore: 'does not subscribe again: subscribe again after the restore' });
      continue;
    }
    if (!carriable(sub.pattern.parts)) {
      notes.push({ process: realm.label, what: `${what}, whose pattern holds a value a snapshot cannot carry`, restore: 'does not subscribe again: subscribe again after the restore' });
      continue;
    }
    const body = freezeFunction(sub.body as (...args: never[]) => unknown, realm.label, 'subscription', seen);
    if (body.kind !== 'source') {
      const why = body.kind === 'pass-again' ? body.why : 'it is not a function';
      notes.push({
        process: realm.label,
        what: `${what}, whose body is not portable: ${why}`,
        restore: `does not subscribe again: subscribe again after the restore; to make it portable, ${MAKE_PORTABLE.split(', or pass it again')[0]!}`,
      });
      continue;
    }
    out.push({ pattern: sub.pattern.parts, body: body.source, ...owner });
  }
  return out;
}

/** The portable handlers of one topic installed on `realm`, oldest first; notes for the others. */
function freezeHandlers(realm: Realm, paths: Map<Realm, number[]>, notes: SnapshotNote[], seen: Map<string, FrozenParam>): FrozenHandler[] {
  const out: FrozenHandler[] = [];
  for (const trap of realm[coreOf].traps) {
    if (trap.removed) continue;
    const what = trap.topic === undefined ? `it has a handler of ${trap.owner.label} for a view of its signals (a vassal's)` : `it has a handler of ${trap.owner.label} for #${trap.topic}`;
    const owner = ownerPath(trap.owner.facade, realm, paths);
    if (trap.topic === undefined || owner === null) {
      notes.push({ process: realm.label, what: owner === null ? `${what}, a realm outside the snapshot` : what, restore: 'does not install it again: install it again after the restore' });
      continue;
    }
    const handler = freezeFunction(trap.handler as (...args: never[]) => unknown, realm.label, 'handler', seen);
    if (handler.kind !== 'source') {
      notes.push({
        process: realm.label,
        what: `${what}, which is not portable: ${handler.kind === 'pass-again' ? handler.why : 'it is not a function'}`,
        restore: `does not install it again: install it again after the restore; to make it portable, ${MAKE_PORTABLE.split(', or pass it again')[0]!}`,
      });
      continue;
    }
    out.push({ topic: trap.topic, handler: handler.source, ...owner });
  }
  return out;
}

/** The signals posted from `realm` and not answered yet (whoever sent them); notes for each. */
function freezeSignals(realm: Realm, paths: Map<Realm, number[]>, notes: SnapshotNote[]): FrozenSignal[] {
  const out: FrozenSignal[] = [];
  const core = realm[coreOf];
  // Every realm of the tree's sent signals, kept where they started (a signal may start at a realm other than its sender's).
  for (const sender of paths.keys()) {
    for (const s of sender[coreOf].sent) {
      if (s.state === 'settled' || s.origin !== core) continue;
      const what = `the signal #${s.tuple.topic} (id ${s.id}) posted here by ${sender.label}, not answered yet`;
      if (!carriable(s.tuple.args)) {
        notes.push({ process: realm.label, what: `${what}, whose arguments a snapshot cannot carry`, restore: 'does not post it again' });
        continue;
      }
      notes.push({ process: realm.label, what, restore: 'posts it again from here; its sender is gone, so the reply goes nowhere and the code that awaited it is not resumed' });
      out.push({ topic: s.tuple.topic, args: s.tuple.args });
    }
  }
  for (const s of core.trapped) {
    if (s.state === 'settled' || paths.has(s.origin.facade)) continue;
    notes.push({ process: realm.label, what: `a handler here trapped the signal #${s.tuple.topic} (id ${s.id}) from ${s.origin.label}, outside the snapshot, not answered yet`, restore: 'does not post it again' });
  }
  return out;
}

/** Functions revived from a snapshot's sources, by source. */
export type RevivedFunctions = Map<string, (...args: never[]) => unknown>;

/**
 * Checks and compiles every subscription body and handler of the tree before
 * anything is rebuilt (a saved source is input like any other). Returns them,
 * and what cannot be used, for the restore's refusal.
 */
export function reviveRealmFunctions(tree: FrozenRealm): { made: RevivedFunctions; problems: string[] } {
  const made: RevivedFunctions = new Map();
  const problems: string[] = [];
  const revive = (source: string, param: string, where: string): void => {
    try {
      reviveFunction(source, 0, param, where, made);
    } catch (e) {
      problems.push(`a saved source that cannot be used: ${(e as Error).message}`);
    }
  };
  const walk = (frozen: FrozenRealm, path: readonly number[]): void => {
    const where = `the realm at [${path.join(', ')}]${frozen.name === '' ? '' : ` (${frozen.name})`}`;
    for (const h of frozen.handlers ?? []) revive(h.handler, 'handler', where);
    for (const sub of frozen.subscriptions ?? []) revive(sub.body, 'subscription', where);
    frozen.children.forEach((child, i) => walk(child, [...path, i]));
  };
  walk(tree, []);
  return { made, problems };
}

/**
 * Rebuilds the tree under `root` (the new container's realm): realms, fields
 * and proclamations, then the handlers and subscriptions (their functions
 * from `made`, see reviveRealmFunctions), then the pending signals are posted
 * again. Returns the realms by path.
 */
export function restoreRealms(tree: FrozenRealm, root: Realm, made: RevivedFunctions = reviveRealmFunctions(tree).made): Map<string, Realm> {
  const byPath = new Map<string, Realm>();
  const all: [FrozenRealm, Realm][] = [];
  const build = (frozen: FrozenRealm, realm: Realm, path: number[]): void => {
    byPath.set(path.join('/'), realm);
    all.push([frozen, realm]);
    for (const [key, value] of Object.entries(frozen.fields)) realm.set(key, value);
    for (const p of frozen.proclamations) for (let i = 0; i < p.count; i++) realm.proclaim(p.topic, ...p.args);
    frozen.children.forEach((child, i) => {
      const options = child.name === '' ? {} : { name: child.name };
      build(child, child.detached ? realm.detached(options) : realm.child(options), [...path, i]);
    });
  };
  build(tree, root, []);
  // As the owner: a handler or subscription goes when the realm that made it stops.
  const asOwner = (realm: Realm, owner: readonly number[] | undefined, f: () => void): void => {
    const by = owner === undefined ? realm : (byPath.get(owner.join('/')) ?? realm);
    by.act(f, 'restore');
  };
  for (const [frozen, realm] of all) {
    for (const h of frozen.handlers ?? []) {
      const handler = reviveFunction(h.handler, 0, 'handler', realm.label, made) as unknown as SignalHandler;
      asOwner(realm, h.owner, () => void realm.on(h.topic, handler));
    }
    for (const sub of frozen.subscriptions ?? []) {
      const body = reviveFunction(sub.body, 0, 'subscription', realm.label, made) as unknown as SubscriptionBody;
      asOwner(realm, sub.owner, () => void realm.subscribe(sub.pattern, body));
    }
  }
  for (const [frozen, realm] of all) for (const s of frozen.signals ?? []) realm.post(s.topic, [...s.args]);
  return byPath;
}

/** Puts a restored process in the realm it lived in. */
export function placeAt(p: Process, path: readonly number[] | undefined, realms: Map<string, Realm>): void {
  if (path === undefined || path.length === 0) return;
  const realm = realms.get(path.join('/'));
  if (realm !== undefined) placeIn(p, realm);
}
