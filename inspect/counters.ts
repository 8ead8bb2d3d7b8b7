// Per-port traffic counters, kept only while an inspector is attached.
//
// Counting happens at the chunk boundaries that already exist: every call of a
// compiled flow entry moves one chunk into (a write) or out of (a read) the
// port its spec names, so a wrapper around the entry's function adds the
// chunk's size to that port's counter. Nothing is counted per element and the
// generated code is untouched. Inside a fused chain the connections between
// inlined processes are not crossed by any call: their traffic is the chain's,
// counted where it enters (with `fuse: false` every connection is an entry).
//
// With no inspector attached the hook is undefined and compiled functions run
// unwrapped; detaching restores the functions the wrappers called.
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { entryHooks, type Entry, type EntryFunction } from '../jit/entry.js';

/** What crossed one port, as seen at its chunk boundary. */
export interface PortCounter {
  /** Elements (records, or bytes of byte chunks) that moved. */
  records: number;
  /** Bytes, for chunks that are Uint8Arrays. */
  bytes: number;
  /** Calls of the entry: one per chunk. */
  chunks: number;
}

/** Counters by process, then by port name ('in', 'out', or 'in[]' for a whole range). */
const counters = new WeakMap<Process, Map<string, PortCounter>>();
/** The function each wrapper calls, so detaching can put it back. */
const unwrapped = new WeakMap<EntryFunction, EntryFunction>();
/** Containers with an inspector attached, with how many are attached to each. */
const watched = new Map<IO, number>();

/** The counter of `port` on `p` (made on first use). */
export function counterOf(p: Process, port: string): PortCounter {
  let ports = counters.get(p);
  if (!ports) counters.set(p, (ports = new Map()));
  let c = ports.get(port);
  if (!c) ports.set(port, (c = { records: 0, bytes: 0, chunks: 0 }));
  return c;
}

/** The counters kept for `p`, by port name (empty if nothing was counted). */
export function countersOf(p: Process): ReadonlyMap<string, PortCounter> {
  return counters.get(p) ?? new Map();
}

/** True when `entry` runs through a counting wrapper. */
export function isCounted(entry: Entry): boolean {
  return unwrapped.has(entry.fn);
}

function wrap(entry: Entry, fn: EntryFunction): EntryFunction {
  if (entry.kind !== 'flow' || !watched.has(entry.start.io)) return fn;
  const c = counterOf(entry.start, entry.spec.port);
  const counted: EntryFunction = (a, b, n, d) => {
    const moved = fn(a, b, n, d);
    c.records += moved;
    c.chunks++;
    if (a instanceof Uint8Array) c.bytes += moved;
    return moved;
  };
  unwrapped.set(counted, fn);
  return counted;
}

/** Every entry the processes of `io` hold or keep. */
function entriesOf(io: IO): Set<Entry> {
  const all = new Set<Entry>();
  for (const p of io.processes()) for (const e of p.compiledEntries()) all.add(e);
  return all;
}

/**
 * Starts counting in `io`: entries compiled from now on are wrapped, and so
 * are those already compiled. Returns a function that stops it.
 */
export function attachCounters(io: IO): () => void {
  watched.set(io, (watched.get(io) ?? 0) + 1);
  entryHooks.compiled = wrap;
  for (const e of entriesOf(io)) {
    if (!e.stale && !unwrapped.has(e.fn)) e.fn = wrap(e, e.fn);
  }
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    const left = watched.get(io)! - 1;
    if (left > 0) {
      watched.set(io, left);
      return;
    }
    watched.delete(io);
    if (watched.size === 0) entryHooks.compiled = undefined;
    for (const e of entriesOf(io)) {
      const raw = unwrapped.get(e.fn);
      if (raw !== undefined) e.fn = raw;
    }
  };
}
