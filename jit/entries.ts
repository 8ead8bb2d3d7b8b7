// The JIT's bookkeeping per process, in a table the engine never reads: the entries that
// start at it, the entries that followed its connections (to mark stale when
// one changes), the entries it keeps alive, and a cache of what each spec was
// last found to lead to. The engine's port lifecycle tells us of every
// topology change through engineHooks.topologyChanged; we install that hook
// and the negotiated-IO hooks when this module loads.
import { objectOf, type LocalAddress } from '../engine/address.js';
import { engineHooks, installNegotiation, type EntryKind } from '../engine/hooks.js';
import type { Process } from '../engine/process.js';
import { farSpec } from '../engine/spec.js';
import { Entry } from './entry.js';
import { admittance, flow, writable } from './negotiated.js';

/**
 * The entries a spec was last found to lead to, one per kind. For a far-end
 * spec they are valid while `port` still holds the address `far` of the
 * process that starts them; `port` is -1 for a spec of the process itself.
 */
interface Lookup {
  port: number;
  far: LocalAddress;
  flow?: WeakRef<Entry>;
  admittance?: WeakRef<Entry>;
}

/** Entries watching one port (or range), by weak reference: most ports have one, so no set until a second. */
type Watching = WeakRef<Entry> | Set<WeakRef<Entry>>;

/**
 * One process's entries. The collections are made on first use: a merge of a
 * thousand sources creates a thousand processes per run, and most of them
 * never need most of these.
 */
class EntryTable {
  /** Entries that start at the process, by `kind spec`. */
  entries?: Map<string, WeakRef<Entry> | Entry>;
  /**
   * Entries that followed a connection of the process, by what they followed:
   * a port number, or `range:name` for an entry that iterated a whole range.
   * A change on a port marks exactly these entries stale.
   */
  watchers?: Map<number | string, Watching>;
  /** Entries the process keeps alive. */
  kept?: Set<Entry>;
  lookups?: Map<string, Lookup>;
}

/** The table kept on the process (`Process.entryTable`, which the engine never reads), made on first use. */
function tableOf(p: Process): EntryTable {
  return (p.entryTable ??= new EntryTable()) as EntryTable;
}

function existingTable(p: Process): EntryTable | undefined {
  return p.entryTable as EntryTable | undefined;
}

/** The compiled entry for (p, spec, kind), created on first use and compiled on first call. */
export function entryOf(p: Process, specText: string, kind: EntryKind): Entry {
  const t = tableOf(p);
  // Sources and buffers ask for the same entry on every round: answer from a
  // cache that holds entries weakly (nothing gets pinned by it) and is right as
  // long as the port still leads to the same far end.
  const hit = t.lookups?.get(specText);
  if (hit) {
    const e = hit[kind]?.deref();
    // An id freed by remove() is handed out again at once, so the same far
    // address may now be another process: check that it is still the entry's.
    if (e && (hit.port < 0 || ((p.ports[hit.port] ?? 0) === hit.far && e.start.inContainer && objectOf(hit.far) === e.start.id))) return e;
  }
  const spec = p.def.spec(specText);
  const wholeRange = spec.range !== undefined && spec.member === undefined;
  if (spec.frame === 'far' && !wholeRange) {
    // Writing to (or reading from) the far end of a port is exactly what the peer's
    // own entry does: share it. A thousand sources feeding one merge then use one
    // compiled function, and a source holds nothing that pins its downstream.
    const port = p.portNumber(spec.port);
    const far = p.peer(port);
    if (far) {
      const e = entryOf(far.process, farSpec(spec, far.port), kind);
      remember(t, specText, port, p.ports[port], kind, e);
      return e;
    }
  }
  // Code never depends on which member of a range was written to: '>in[3]' uses '>in[]'.
  const text = spec.frame === 'near' ? spec.ruleText : spec.text;
  const key = `${kind} ${text}`;
  const held = t.entries?.get(key);
  let entry = held instanceof WeakRef ? held.deref() : held;
  if (!entry) {
    entry = new Entry(p, text === spec.text ? spec : p.def.spec(text), kind);
    (t.entries ??= new Map()).set(key, entry);
  }
  // A far-end entry on an unconnected port must be looked up again once it connects.
  if (spec.frame === 'near') remember(t, specText, -1, 0, kind, entry);
  return entry;
}

function remember(t: EntryTable, specText: string, port: number, far: LocalAddress, kind: EntryKind, entry: Entry): void {
  const lookups = (t.lookups ??= new Map());
  let hit = lookups.get(specText);
  if (!hit) lookups.set(specText, (hit = { port, far, flow: undefined, admittance: undefined }));
  // The other kind's entry stays: it is checked against the far end when asked for.
  hit.port = port;
  hit.far = far;
  hit[kind] = entry.ref;
}

/**
 * Marks stale the entries that followed `port` of `p` (and any that iterated
 * its range); with no port, every entry that followed any connection of `p`.
 */
export function invalidate(p: Process, port?: number): void {
  const watchers = existingTable(p)?.watchers;
  if (watchers === undefined) return;
  if (port === undefined) {
    for (const watching of watchers.values()) invalidateAll(watching);
    return;
  }
  const held = watchers.get(port);
  if (held !== undefined) invalidateAll(held);
  const range = p.def.rangeOf(port);
  const ranged = range === undefined ? undefined : watchers.get(`range:${range}`);
  if (ranged !== undefined) invalidateAll(ranged);
}

function invalidateAll(watching: Watching): void {
  if (watching instanceof Set) for (const ref of watching) ref.deref()?.invalidate();
  else watching.deref()?.invalidate();
}

/** `entry` inlined `p`: `keep` says whether `p` keeps it alive. */
export function adopt(p: Process, entry: Entry, keep: boolean): void {
  const t = tableOf(p);
  if (keep) (t.kept ??= new Set()).add(entry);
  if (entry.start === p) {
    // Held weakly when others keep it, so a pinned source does not pin its downstream.
    (t.entries ??= new Map()).set(`${entry.kind} ${entry.spec.text}`, keep ? entry : entry.ref);
  }
}

/** `entry` followed the connection on a port of `p` (or, as `range:name`, a whole range): a change there marks it stale. */
export function watch(p: Process, entry: Entry, key: number | string): void {
  const t = tableOf(p);
  const watchers = (t.watchers ??= new Map());
  const held = watchers.get(key);
  if (held === undefined) watchers.set(key, entry.ref);
  else if (held instanceof Set) held.add(entry.ref);
  else if (held !== entry.ref) watchers.set(key, new Set([held, entry.ref]));
}

/** `entry` no longer follows nor is kept by `p` (it is about to recompile). */
export function unregister(p: Process, entry: Entry): void {
  const t = existingTable(p);
  if (t === undefined) return;
  if (t.watchers) {
    for (const [key, held] of t.watchers) {
      if (held === entry.ref) t.watchers.delete(key);
      else if (held instanceof Set && held.delete(entry.ref) && held.size === 0) t.watchers.delete(key);
    }
  }
  t.kept?.delete(entry);
}

/** The entries `p` holds or keeps alive (for tools: the inspector finds fused chains here). */
export function compiledEntries(p: Process): Entry[] {
  const t = existingTable(p);
  if (t === undefined) return [];
  const out = new Set<Entry>(t.kept);
  if (t.entries) {
    for (const held of t.entries.values()) {
      const e = held instanceof WeakRef ? held.deref() : held;
      if (e !== undefined) out.add(e);
    }
  }
  return [...out];
}

/**
 * `p` has left its container. The entries that start at it can never run on
 * it again: they let go of the processes they registered with, and its table
 * goes. Otherwise a process that outlives p (a pipeline step of a connection
 * that is over, which only the collector reclaims) would keep those entries,
 * and through their slots p's whole connection, alive until it is reclaimed;
 * and a process the container watches weakly survives every young-generation
 * collection until a full one, since V8's scavenges keep the targets of weak
 * references.
 */
function forget(p: Process): void {
  const entries = existingTable(p)?.entries;
  p.entryTable = undefined;
  if (entries === undefined) return;
  for (const held of entries.values()) {
    const e = held instanceof WeakRef ? held.deref() : held;
    if (e !== undefined && e.start === p) e.release();
  }
}

engineHooks.topologyChanged = invalidate;
engineHooks.removed = forget;
installNegotiation({ entry: entryOf, admittance, flow, writable, compiledEntries });
