// Residual output, for processes whose output is not known in advance (line
// framing, encoding, translating): they make a whole chunk of output at once,
// hand on what `out` admits, and keep the rest. While they keep anything they
// admit nothing, so they never over-commit and hold at most one chunk's output.
//
// A process using these helpers declares `...residualState` in its state.
import { bytesHeld } from '../../engine/bytes.js';
import type { Instance } from '../../engine/definition.js';
import type { Elements } from '../../engine/flowable.js';
import type { Process } from '../../engine/process.js';
import type { Entry } from '../../jit/entry.js';
import { aborted, untilWritten } from '../../engine/run.js';

export const residualState = {
  kept: (): Elements | null => null,
  keptAt: () => 0,
  keptBytes: () => 0,
};

export interface ResidualState { kept: Elements | null; keptAt: number; keptBytes: number }

/**
 * A process whose state includes `residualState`. The hooks below are generic
 * in the rest of the state, so that passing one to `define` leaves the state's
 * type to the state's initialisers.
 */
export type Residual<S extends ResidualState = ResidualState> = Instance<object, S>;

/** Bytes of memory a stretch of output stands for (strings: their length). */
function weigh(xs: Elements, from: number, to: number): number {
  if (xs instanceof Uint8Array) return to - from;
  let n = 0;
  for (let i = from; i < to; i++) {
    const x = xs[i];
    n += typeof x === 'string' ? x.length : x instanceof Uint8Array ? x.length : 8;
  }
  return n;
}

function keep(p: Residual, xs: Elements, at: number): void {
  const bytes = weigh(xs, at, xs.length);
  p.state.kept = xs;
  p.state.keptAt = at;
  p.state.keptBytes = bytes;
  bytesHeld(p.io).hold(bytes);
}

function forget(p: Residual): void {
  bytesHeld(p.io).release(p.state.keptBytes);
  p.state.kept = null;
  p.state.keptAt = 0;
  p.state.keptBytes = 0;
}

/**
 * Moves xs[at..] out through `out>` for as long as it admits anything (a `take`
 * or a `grep` before it may admit a little at a time); returns where it stopped.
 */
function move(p: Residual, xs: Elements, at: number): number {
  const { admit, flow } = outEntries(p);
  while (at < xs.length && !p.isEnded('out')) {
    const k = admit.ready()(xs.length - at);
    if (k === 0) break;
    flow.ready()(xs, at, k);
    at += k;
  }
  return at;
}

/** Hands xs on, keeping what `out` does not admit. Output for an ended `out` is dropped. */
export function send(p: Residual, xs: Elements): void {
  if (p.isEnded('out') || xs.length === 0) return;
  const before = p.state.kept;
  if (before) {
    // Only reached when a flow arrives while output is kept (admittance said 0): keep both.
    const rest = before.slice(p.state.keptAt);
    forget(p);
    const merged = rest instanceof Uint8Array ? concatBytes([rest, xs as Uint8Array]) : (rest as unknown[]).concat(xs as unknown[]);
    keep(p, merged, 0);
    flush(p);
    return;
  }
  const at = move(p, xs, 0);
  if (at < xs.length && !p.isEnded('out')) keep(p, xs, at);
}

/** Sends what is kept; true when nothing is left. */
export function flush(p: Residual): boolean {
  const xs = p.state.kept;
  if (!xs) return true;
  if (p.isEnded('out') || !p.isConnected('out')) {
    forget(p);
    return true;
  }
  const start = p.state.keptAt;
  const at = move(p, xs, start);
  if (at >= xs.length) {
    forget(p);
    return true;
  }
  const released = weigh(xs, start, at);
  bytesHeld(p.io).release(released);
  p.state.keptAt = at;
  p.state.keptBytes -= released;
  return false;
}

/** The honest admittance of a writer into such a process: 0 while it keeps output, else n if `out` takes anything. */
export function admitIfFlushed<S extends ResidualState>(p: Residual<S>, n: number): number {
  if (!flush(p) || p.isEnded('out')) return 0;
  return outEntries(p).admit.ready()(1) > 0 ? n : 0;
}

interface OutEntries {
  /** The far address of `out` they were made for. */
  far: number;
  admit: Entry;
  flow: Entry;
}

const cached = new WeakMap<Process, OutEntries>();

/** The entries for `out>`, looked up again only when `out` was reconnected. */
function outEntries(p: Process): OutEntries {
  const far = p.ports[p.portNumber('out')] ?? 0;
  let e = cached.get(p);
  // An object id freed by remove() is handed out again at once: the same far
  // address may now be another process, so the entries must still be its.
  if (!e || e.far !== far || !e.flow.start.inContainer) {
    e = { far, admit: p.entry('out>', 'admittance'), flow: p.entry('out>', 'flow') };
    cached.set(p, e);
  }
  return e;
}

/**
 * After the input ended: sends `last` (if any) and what is kept, waiting for
 * `out` to become writable as often as needed, then ends `out`. After an abort
 * nothing more is sent.
 */
export function endWhenFlushed(p: Residual, last?: Elements): void {
  if (aborted(p)) {
    forget(p);
    p.end('out');
    return;
  }
  if (last && last.length > 0) send(p, last);
  untilWritten(p, 'out', () => {
    if (aborted(p) || p.isEnded('out') || !p.isConnected('out')) {
      forget(p);
      p.end('out');
      return true;
    }
    if (!flush(p)) return false;
    p.end('out');
    return true;
  });
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = Buffer.allocUnsafe(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The end-of-stream rule of a process that may hold residual output: input ended, flush then end; output ended, stop the input. */
export function endWhenFlushedOrCancel<S extends ResidualState>(p: Residual<S>, port: string): void {
  if (port === 'in') endWhenFlushed(p);
  else p.end('in');
}
