// The realm tree in a snapshot: the container's realm and the realms under it,
// each with its name, its fields and its proclamations, and which realm each
// process lives in. Subscriptions (their bodies are the caller's code, their
// handles the caller's) and pending signals (a sender awaits each reply in
// code a snapshot cannot resume) are not saved: the notes name each one, with
// its realm, so the caller knows what to subscribe or send again.
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { coreOf } from '../realm/fields.js';
import { placeIn } from '../realm/placement.js';
import type { Realm } from '../realm/realm.js';
import { checkCarriable, UncarriableValueError } from '../transport/codec.js';
import type { SnapshotNote } from './graph.js';

export interface FrozenProclamation {
  readonly topic: string;
  readonly args: readonly unknown[];
  /** Equal proclamations are counted: asserted this many times. */
  readonly count: number;
}

export interface FrozenRealm {
  readonly name: string;
  readonly detached: boolean;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly proclamations: readonly FrozenProclamation[];
  readonly children: readonly FrozenRealm[];
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

/** The tree under `io.realm`, and the path (child positions from the top) of every realm in it. */
export function freezeRealms(io: IO, live: readonly Process[], notes: SnapshotNote[]): { tree: FrozenRealm; paths: Map<Realm, number[]> } {
  const paths = new Map<Realm, number[]>();
  const processes = new Set<unknown>(live);
  const walk = (realm: Realm, path: number[]): FrozenRealm => {
    paths.set(realm, path);
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
    unsaved(realm, notes);
    const children = realm.children.filter((c) => !c.stopped).map((c, i) => walk(c, [...path, i]));
    return { name: realm.name, detached: realm.isDetached, fields, proclamations, children };
  };
  return { tree: walk(io.realm, []), paths };
}

/** Notes for what a realm holds that a snapshot does not save: the subscriptions observing it, its pending signals. */
function unsaved(realm: Realm, notes: SnapshotNote[]): void {
  // Read from the realm's core: the facade offers no list of either (read only, nothing here changes them).
  const core = realm[coreOf];
  const observing = new Set([...core.subsAnyTopic, ...core.signalSubs]);
  for (const subs of core.subsByTopic.values()) for (const sub of subs) observing.add(sub);
  for (const sub of observing) {
    if (sub.cancelled) continue;
    notes.push({
      process: realm.label,
      what: `it is observed by the subscription ${sub.pattern.source} of ${sub.owner.label}, whose body is the caller's code`,
      restore: 'does not subscribe again: subscribe again after the restore',
    });
  }
  for (const [signals, how] of [[core.sent, 'it sent'], [core.trapped, 'a handler here trapped']] as const) {
    for (const s of signals) {
      if (s.state === 'settled') continue;
      notes.push({
        process: realm.label,
        what: `${how} the signal #${s.tuple.topic} (id ${s.id}), not answered yet`,
        restore: "does not send it again: the code awaiting its reply is not resumed; send it again after the restore",
      });
    }
  }
}

/** Rebuilds the tree under `root` (the new container's realm); returns the realms by path. */
export function restoreRealms(tree: FrozenRealm, root: Realm): Map<string, Realm> {
  const byPath = new Map<string, Realm>();
  const build = (frozen: FrozenRealm, realm: Realm, path: number[]): void => {
    byPath.set(path.join('/'), realm);
    for (const [key, value] of Object.entries(frozen.fields)) realm.set(key, value);
    for (const p of frozen.proclamations) for (let i = 0; i < p.count; i++) realm.proclaim(p.topic, ...p.args);
    frozen.children.forEach((child, i) => {
      const options = child.name === '' ? {} : { name: child.name };
      build(child, child.detached ? realm.detached(options) : realm.child(options), [...path, i]);
    });
  };
  build(tree, root, []);
  return byPath;
}

/** Puts a restored process in the realm it lived in. */
export function placeAt(p: Process, path: readonly number[] | undefined, realms: Map<string, Realm>): void {
  if (path === undefined || path.length === 0) return;
  const realm = realms.get(path.join('/'));
  if (realm !== undefined) placeIn(p, realm);
}
