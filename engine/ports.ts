// The port lifecycle. Every change of a port's state goes through this
// module, which also tells the JIT (through engineHooks.topologyChanged) so
// that it marks stale the compiled entries that followed the port.
//
// A port is in one of three states:
//
//   absent     its process is not (or no longer) in its container
//   free       it exists and is not connected
//   connected  it is one end of a connection: readable and writable
//
// A connection has a record with a nonce, unique within the container. The
// record lives from connect to full close: a disconnect, or both ends having
// closed. Closing one end is a half-close: the peer drains what was sent,
// then sees end of stream, and may no longer write into the closed end (its
// admittance there is 0 and `whenWritable` answers false). A move hands a
// connection from one port to another in one synchronous step; the record, its
// nonce and the waiters tied to it go along.
//
// Waits are promises. Each waiter re-checks, whenever anything happens on its
// port, that the port still exists and still holds the same connection; every
// waiter a change concerns is woken (none is stranded), and a waiter on a
// moved connection follows it to its new port. With a scheduler installed
// (`useScheduler`), woken waiters resume as scheduler tasks, so a seeded
// scheduler shuffles the order in which they run, and each re-checks its
// condition when it finally runs.
import { localAddress, objectOf, portOf, type LocalAddress, type ObjectId } from './address.js';
import type { IO } from './io.js';
import { PortError } from './errors.js';
import { engineHooks, negotiationHooks } from './hooks.js';
import type { Process } from './process.js';
import type { Scheduler } from './scheduler.js';

export type PortState = 'absent' | 'free' | 'connected';

/**
 * Why a stream ended: `end`, a clean end (everything was sent); `error`, the
 * writer failed (a crashed pipeline, an aborted run), with the error; `reset`,
 * the connection was cut (a socket reset or destroyed), with the socket's error
 * when there was one. Anything but `end` means the stream is truncated.
 */
export type EndReason =
  | { readonly reason: 'end' }
  | { readonly reason: 'error'; readonly error: unknown }
  | { readonly reason: 'reset'; readonly error?: unknown };

/** A clean end of stream. */
export const END: EndReason = Object.freeze({ reason: 'end' });

export function errorEnd(error: unknown): EndReason {
  return Object.freeze({ reason: 'error', error });
}

export function resetEnd(error?: unknown): EndReason {
  return Object.freeze(error === undefined ? { reason: 'reset' } : { reason: 'reset', error });
}

/** The error a truncated stream stands for (undefined for a clean end). */
export function errorOf(why: EndReason | undefined): unknown {
  if (why === undefined || why.reason === 'end') return undefined;
  if (why.error !== undefined) return why.error;
  return new PortError('the connection was reset');
}

/**
 * What carries a connection: LOCAL when both ends are processes of this
 * container (the JIT fuses across it), otherwise the name of the transport that
 * links this container to another host (the JIT stops there: see
 * docs/transports.md).
 */
export const LOCAL = 'local';

/** What a port knows of its connection. */
export interface ConnectionInfo {
  readonly nonce: number;
  /** LOCAL, or the transport the connection travels over. */
  readonly transport: string;
  /** This end has closed. */
  readonly closed: boolean;
  /** The other end has closed. */
  readonly peerClosed: boolean;
}

/** A change of port state, as seen by `observe`rs (after it is complete). */
export type PortEvent =
  | { op: 'connect'; nonce: number; a: LocalAddress; b: LocalAddress }
  | { op: 'disconnect'; nonce: number; a: LocalAddress; b: LocalAddress; reason: 'disconnect' | 'closed' | 'vanished' }
  | { op: 'close'; nonce: number; end: LocalAddress }
  | { op: 'move'; nonce: number; from: LocalAddress; to: LocalAddress; peer: LocalAddress }
  | { op: 'remove'; object: ObjectId };

export interface PortCounts {
  /** Connection records alive. */
  connections: number;
  /** Waits not yet settled (connects that wait included). */
  waiters: number;
  /** Processes in the container (every port of a removed process is gone). */
  processes: number;
}

interface Connection {
  readonly nonce: number;
  readonly transport: string;
  a: LocalAddress;
  b: LocalAddress;
  aClosed: boolean;
  bClosed: boolean;
}

const KEEP = Symbol('keep waiting');
type Check = () => unknown;

interface Waiter {
  /** The ports whose changes concern this waiter. */
  homes: [Process, number][];
  /** The connection it is tied to (0: none); it follows that connection when it moves. */
  nonce: number;
  /** Returns the value to settle with, or KEEP; throws to reject. */
  check: Check;
  /** Passive waits re-check when they resume; a connect has acted and only reports. */
  passive: boolean;
  /** Needs a wake-up from the process's own "writable again" notification. */
  writable: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onSettle?: () => void;
  scheduled: boolean;
  done: boolean;
}

class Table {
  readonly byAddress = new Map<LocalAddress, Connection>();
  records = 0;
  nonce = 0;
  waiting = 0;
  /** Pending waiters by the object they are attributed to, so a collected process takes its count along. */
  readonly waitingOf = new Map<ObjectId, number>();
  scheduler: Scheduler | undefined;
  readonly observers = new Set<(e: PortEvent) => void>();
  /**
   * Processes being removed (by id): their ports count as gone while they are
   * disconnected. A short list, not a Set: it is empty almost always, and a Set
   * emptied by `delete` allocates a new table each time (garbage per connection).
   */
  readonly going: ObjectId[] = [];
  /** Dedicated ports (by process id): the process goes once that port no longer holds its connection. */
  readonly dedicated = new Map<ObjectId, { port: number; gone?: () => void }>();
  readonly pokes: (Process | number)[] = [];
  draining = false;
}

/** Waiters by process and port; held by the process (weakly keyed), so they go with it. */
const lives = new WeakMap<Process, Map<number, Set<Waiter>>>();
/** Ports with a pending bridge from the process's own "writable again" wake-up. */
const bridged = new WeakMap<Process, Set<number>>();

/** The container's table, made on first use (kept on the container: see `IO.portTable`). */
function table(io: IO): Table {
  return (io.portTable ??= new Table()) as Table;
}

/** The container's table if it has one. */
function existingTable(io: IO): Table | undefined {
  return io.portTable as Table | undefined;
}

// ---------------------------------------------------------------- state

/** True while the process is in its container: its ports exist. */
export function exists(p: Process): boolean {
  if (!p.inContainer) return false;
  const going = table(p.io).going;
  return going.length === 0 || !going.includes(p.id);
}

function startGoing(t: Table, id: ObjectId): void {
  if (!t.going.includes(id)) t.going.push(id);
}

function stopGoing(t: Table, id: ObjectId): void {
  const going = t.going;
  const i = going.lastIndexOf(id);
  if (i < 0) return;
  // Without splice, which returns a new array.
  for (let j = i + 1; j < going.length; j++) going[j - 1] = going[j];
  going.pop();
}

export function portState(p: Process, port: string | number): PortState {
  const n = p.portNumber(port);
  if (!exists(p)) return 'absent';
  return (p.ports[n] ?? 0) === 0 ? 'free' : 'connected';
}

function recordAt(p: Process, n: number): Connection | undefined {
  return table(p.io).byAddress.get(localAddress(p.id, n));
}

/** The nonce of the connection on `port`, or 0 when it is not connected. */
export function nonceOf(p: Process, port: string | number): number {
  return recordAt(p, p.portNumber(port))?.nonce ?? 0;
}

export function connectionOf(p: Process, port: string | number): ConnectionInfo | undefined {
  const here = localAddress(p.id, p.portNumber(port));
  const c = table(p.io).byAddress.get(here);
  if (!c) return undefined;
  const isA = c.a === here;
  return { nonce: c.nonce, transport: c.transport, closed: isA ? c.aClosed : c.bClosed, peerClosed: isA ? c.bClosed : c.aClosed };
}

/** What carries the connection on `port`: LOCAL or a transport's name; undefined when not connected. */
export function transportOf(p: Process, port: string | number): string | undefined {
  return recordAt(p, typeof port === 'number' ? port : p.portNumber(port))?.transport;
}

/** Stand-ins (see `standIn`) and the transport each stands in for. */
const standInFor = new WeakMap<Process, string>();
let standIns = 0;

/**
 * Marks `p` as the local stand-in of an endpoint on another host, reached over
 * `transport`: every connection made to it from now on travels over that
 * transport. A transport calls this on the proxies it makes (see
 * IO.processFor and docs/transports.md); until one does, connecting costs
 * nothing more.
 */
export function standIn(p: Process, transport: string): void {
  if (transport === LOCAL) throw new PortError(`${p.label}: a stand-in needs a transport other than ${LOCAL}`);
  if (!standInFor.has(p)) standIns++;
  standInFor.set(p, transport);
}

/** This end of `port` has closed: it reads no more. */
export function isClosed(p: Process, port: string | number): boolean {
  return closedEnd(p, port, true);
}

/** The far end of `port` has closed: writing into it is refused. */
export function peerClosed(p: Process, port: string | number): boolean {
  return closedEnd(p, port, false);
}

// Asked on every write through a socket: answered from the record, without building a ConnectionInfo.
function closedEnd(p: Process, port: string | number, ours: boolean): boolean {
  const n = typeof port === 'number' ? port : p.portNumber(port);
  if ((p.ports[n] ?? 0) === 0) return false;
  const here = localAddress(p.id, n);
  const c = table(p.io).byAddress.get(here);
  if (!c) return false;
  return (c.a === here) === ours ? c.aClosed : c.bClosed;
}

export function counts(io: IO): PortCounts {
  const t = existingTable(io);
  return { connections: t?.records ?? 0, waiters: t?.waiting ?? 0, processes: io.count };
}

/** Woken waiters resume as tasks of `scheduler` (undefined: at once, as promise reactions). */
export function useScheduler(io: IO, scheduler: Scheduler | undefined): void {
  table(io).scheduler = scheduler;
}

/** Calls `fn` after every port state change in `io`; returns a function that stops it. */
export function observe(io: IO, fn: (e: PortEvent) => void): () => void {
  const t = table(io);
  t.observers.add(fn);
  return () => t.observers.delete(fn);
}

function emit(t: Table, e: PortEvent): void {
  for (const fn of t.observers) fn(e);
}

// ---------------------------------------------------------------- connect and disconnect

/** The connection on port `n` of `p` changed: the JIT marks stale the entries that followed it. */
function topologyChanged(p: Process, n: number): void {
  if (engineHooks.topologyChanged !== undefined) engineHooks.topologyChanged(p, n);
}

/** Connects `ap` of `a` to `bp` of `b`; throws a PortError if either port is absent or taken. Returns the nonce. */
export function connect(a: Process, ap: string | number, b: Process, bp: string | number): number {
  const here = a.portNumber(ap);
  const there = b.portNumber(bp);
  if (b.io !== a.io) throw new PortError(`${a.label}: cannot connect to ${b.label} in another IO container`);
  if (b === a && here === there) throw new PortError(`${a.label}: cannot connect port ${a.portName(here)} to itself`);
  const refused = (): string => `refused connecting ${a.label}.${a.portName(here)} to ${b.label}.${b.portName(there)}`;
  checkFree(a, here, refused);
  checkFree(b, there, refused);
  return link(a, here, b, there);
}

function checkFree(p: Process, n: number, refused: () => string): void {
  if (!exists(p)) {
    throw new PortError(`${p.label}: port ${JSON.stringify(p.portName(n))} does not exist (its process was removed); ${refused()}`);
  }
  if ((p.ports[n] ?? 0) !== 0) {
    const peer = p.peer(n);
    throw new PortError(`${p.label}: port ${JSON.stringify(p.portName(n))} is already connected${peer ? ` to ${peer.process.label} ${JSON.stringify(peer.port)}` : ''}; ${refused()}`);
  }
}

function link(a: Process, here: number, b: Process, there: number): number {
  a.ports[here] = localAddress(b.id, there);
  b.ports[there] = localAddress(a.id, here);
  const t = table(a.io);
  const transport = standIns === 0 ? LOCAL : (standInFor.get(a) ?? standInFor.get(b) ?? LOCAL);
  const c: Connection = { nonce: ++t.nonce, transport, a: localAddress(a.id, here), b: localAddress(b.id, there), aClosed: false, bClosed: false };
  t.byAddress.set(c.a, c);
  t.byAddress.set(c.b, c);
  t.records++;
  a.linked(here, b);
  b.linked(there, a);
  topologyChanged(a, here);
  topologyChanged(b, there);
  if (t.observers.size > 0) emit(t, { op: 'connect', nonce: c.nonce, a: c.a, b: c.b });
  poke(a, here);
  poke(b, there);
  return c.nonce;
}

export interface WaitOptions {
  /** Gives up waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Connects as soon as both ports are free. Connects waiting for one port are
 * served in the order they asked; the connect happens in the same step that
 * frees the port, so a freed listener is never seen free while someone waits.
 * Rejects with a PortError if either port ceases to exist.
 */
export function connectWhenFree(a: Process, ap: string | number, b: Process, bp: string | number, options: WaitOptions = {}): Promise<number> {
  const here = a.portNumber(ap);
  const there = b.portNumber(bp);
  const free = (a.ports[here] ?? 0) === 0 && (b.ports[there] ?? 0) === 0;
  if (free || !exists(a) || !exists(b)) {
    try {
      return Promise.resolve(connect(a, here, b, there));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  // Giving up settles at once: the ports may well still be connected.
  let waiter: Waiter | undefined;
  const onAbort = (): void => {
    if (waiter) settle(table(a.io), waiter, false, signal!.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  return addWaiter([[a, here], [b, there]], 0, false, false, () => {
    if (signal?.aborted) throw signal.reason;
    for (const [p, n] of [[a, here], [b, there]] as const) {
      if (!exists(p)) throw new PortError(`${p.label}: port ${JSON.stringify(p.portName(n))} ceased to exist while ${a.label}.${a.portName(here)} waited to connect to ${b.label}.${b.portName(there)}`);
    }
    if ((a.ports[here] ?? 0) !== 0 || (b.ports[there] ?? 0) !== 0) return KEEP;
    return link(a, here, b, there);
  }, () => signal?.removeEventListener('abort', onAbort), (w) => (waiter = w)) as Promise<number>;
}

/** Disconnects `port` on both ends at once. Returns false if it was not connected. */
export function disconnect(p: Process, port: string | number): boolean {
  const here = p.portNumber(port);
  if ((p.ports[here] ?? 0) === 0) return false;
  unlink(p, here, 'disconnect');
  return true;
}

/** Ends a connection: the record is freed and both ports are free again. */
function unlink(p: Process, here: number, reason: 'disconnect' | 'closed'): void {
  const t = table(p.io);
  const addr = localAddress(p.id, here);
  const farAddr = p.ports[here];
  const there = portOf(farAddr);
  // The far end, if alive and still pointing back (an id can be reused once its process is gone).
  const found = p.farProcess(here);
  const far = found && found.ports[there] === addr ? found : undefined;
  const c = t.byAddress.get(addr);
  if (c) free(t, c);
  p.ports[here] = 0;
  p.unlinked(here);
  topologyChanged(p, here);
  if (far) {
    far.ports[there] = 0;
    far.unlinked(there);
    topologyChanged(far, there);
  }
  if (t.observers.size > 0) emit(t, { op: 'disconnect', nonce: c?.nonce ?? 0, a: addr, b: farAddr, reason });
  poke(p, here);
  if (far) poke(far, there);
  release(p, here);
  if (far) release(far, there);
}

/**
 * Marks `port` of `p` as dedicated to the connection it holds: once that
 * connection is over, the process is removed and `gone` is called. If the
 * connection moves, the dedication moves with it and the process it left is
 * removed. A server's per-connection ports go with their connections this way.
 */
export function dedicate(p: Process, port: string | number, gone?: () => void): void {
  table(p.io).dedicated.set(p.id, { port: p.portNumber(port), gone });
}

export function isDedicated(p: Process, port: string | number): boolean {
  return existingTable(p.io)?.dedicated.get(p.id)?.port === p.portNumber(port);
}

function release(p: Process, n: number): void {
  if (table(p.io).dedicated.get(p.id)?.port === n && exists(p)) remove(p);
}

function free(t: Table, c: Connection): void {
  if (t.byAddress.get(c.a) === c) t.byAddress.delete(c.a);
  if (t.byAddress.get(c.b) === c) t.byAddress.delete(c.b);
  t.records--;
}

// ---------------------------------------------------------------- close and move

/**
 * Closes this end of the connection on `port`. The peer drains what was
 * sent and then sees end of stream; it may no longer write into this end. When
 * both ends have closed the connection is over: its record is freed and both
 * ports are free. Closing a port that is not connected does nothing.
 */
export function close(p: Process, port: string | number): void {
  const n = p.portNumber(port);
  const t = table(p.io);
  const here = localAddress(p.id, n);
  const c = t.byAddress.get(here);
  if (!c) return;
  const isA = c.a === here;
  if (isA ? c.aClosed : c.bClosed) return;
  if (isA) c.aClosed = true;
  else c.bClosed = true;
  if (t.observers.size > 0) emit(t, { op: 'close', nonce: c.nonce, end: here });
  // The peer drains and sees end of stream (its handlers may close it in turn).
  p.end(n);
  if (t.byAddress.get(here) !== c) return;
  if (c.aClosed && c.bClosed) {
    unlink(p, n, 'closed');
    return;
  }
  // Half-open: a writer on the far end blocked on us learns it may write no more.
  p.writableAgain(n);
  poke(p, n);
  const far = p.farProcess(n);
  if (far) poke(far, portOf(p.ports[n]));
}

/**
 * Hands the connection on `fromPort` of `from` to `toPort` of `to` (which must
 * exist and be free), in one synchronous step: the far end is connected to the
 * new port, `fromPort` is free, and nothing can observe anything in between.
 * The connection keeps its record and nonce; end-of-stream and close states
 * travel with it, and so do the waiters tied to it. Returns the nonce.
 *
 * Observers see the `move` before anything that happens at the new port (an
 * end of stream sent earlier reaches it after the move). With `dedicate`, the
 * new port is dedicated to the connection from the start, so a connection that
 * is over as soon as it arrives still takes its port along. A port that was
 * dedicated to the connection goes: from the moment of the move, waits on it
 * see it gone (a connect waiting for it fails instead of taking it).
 */
export function move(from: Process, fromPort: string | number, to: Process, toPort: string | number, options: { dedicate?: { gone?: () => void } } = {}): number {
  const f = from.portNumber(fromPort);
  const d = to.portNumber(toPort);
  const t = table(from.io);
  const oldAddr = localAddress(from.id, f);
  const c = t.byAddress.get(oldAddr);
  if (!c) throw new PortError(`${from.label}: port ${JSON.stringify(from.portName(f))} is not connected; there is no connection to move`);
  const farAddr = from.ports[f];
  const peer = from.farProcess(f);
  if (!peer) throw new PortError(`${from.label}: the far end of port ${JSON.stringify(from.portName(f))} vanished; there is no connection to move`);
  if (to.io !== from.io) throw new PortError(`${from.label}: cannot move a connection to ${to.label} in another IO container`);
  if (!exists(to)) throw new PortError(`${to.label}: port ${JSON.stringify(to.portName(d))} does not exist; cannot move a connection there`);
  if ((to.ports[d] ?? 0) !== 0) throw new PortError(`${to.label}: port ${JSON.stringify(to.portName(d))} is already connected; cannot move a connection there`);
  const q = portOf(farAddr);
  const newAddr = localAddress(to.id, d);
  // Read by index, not destructured: a move happens per connection, and
  // destructuring goes through an iterator.
  const ourEnds = from.endState(f);
  const endedByPeer = ourEnds[0];
  const endedByUs = ourEnds[1];
  const ourReason = from.unusualEnds(f)[1];
  const peerEnds = peer.endState(q);
  const peerReasons = peer.unusualEnds(q);
  const peerSent = endedByPeer ? undefined : peerReasons[1];

  // Rewire: the three ports change together.
  from.ports[f] = 0;
  to.ports[d] = farAddr;
  peer.ports[q] = newAddr;
  from.unlinked(f);
  to.linked(d, peer);
  to.setEndState(d, false, endedByUs, ourReason === undefined ? undefined : [undefined, ourReason]);
  // The peer now depends on the new holder; its own end-of-stream state is unchanged.
  peer.unlinked(q);
  peer.linked(q, to);
  peer.setEndState(q, peerEnds[0], endedByPeer ? false : peerEnds[1], peerReasons[0] === undefined && peerSent === undefined ? undefined : [peerReasons[0], peerSent]);
  t.byAddress.delete(oldAddr);
  if (c.a === oldAddr) c.a = newAddr;
  else c.b = newAddr;
  t.byAddress.set(newAddr, c);
  topologyChanged(from, f);
  topologyChanged(to, d);
  topologyChanged(peer, q);
  rehome(t, from, f, to, d, c.nonce);
  if (t.observers.size > 0) emit(t, { op: 'move', nonce: c.nonce, from: oldAddr, to: newAddr, peer: farAddr });
  const dedication = t.dedicated.get(from.id);
  const leaving = dedication?.port === f;
  if (leaving) {
    t.dedicated.delete(from.id);
    startGoing(t, from.id);
  }
  if (leaving || options.dedicate) t.dedicated.set(to.id, { port: d, gone: options.dedicate?.gone ?? dedication?.gone });
  // An end of stream already sent by the peer reaches the new holder, as it would
  // have. It runs the new holder's end handlers (a pipeline's): what they throw is
  // thrown to our caller once the move is complete.
  let failure: { error: unknown } | undefined;
  if (endedByPeer) {
    try {
      peer.end(q, peerReasons[1]);
    } catch (error) {
      failure = { error };
    }
  }
  poke(from, f);
  poke(to, d);
  poke(peer, q);
  // The peer may have been refused by the old holder (a listener admits nothing): it may try again.
  to.writableAgain(d);
  if (leaving) {
    stopGoing(t, from.id);
    remove(from);
  }
  if (failure) throw failure.error;
  return c.nonce;
}

function rehome(t: Table, from: Process, f: number, to: Process, d: number, nonce: number): void {
  const list = lives.get(from)?.get(f);
  if (!list) return;
  for (const w of [...list]) {
    if (w.nonce !== nonce) continue;
    list.delete(w);
    const i = w.homes.findIndex(([p, n]) => p === from && n === f);
    w.homes[i] = [to, d];
    if (i === 0) attribute(t, from, to);
    listOf(to, d).add(w);
    if (w.writable) bridge(to, d);
  }
  if (list.size === 0) lives.get(from)!.delete(f);
}

// ---------------------------------------------------------------- vanishing

/** The far end of `port` was collected: the port is free (no end of stream can come any more). */
export function peerVanished(p: Process, port: number): void {
  const t = table(p.io);
  const addr = localAddress(p.id, port);
  const far = p.ports[port];
  const c = t.byAddress.get(addr);
  if (c) free(t, c);
  p.ports[port] = 0;
  p.unlinked(port);
  topologyChanged(p, port);
  if (t.observers.size > 0) emit(t, { op: 'disconnect', nonce: c?.nonce ?? 0, a: addr, b: far, reason: 'vanished' });
  poke(p, port);
  release(p, port);
}

/**
 * The container collected the process `id` whose ports were `ports`: its
 * connection records are freed and the live far ends learn their peer vanished.
 * A far end is told only if it still points back (its id may have been reused).
 */
export function reclaimed(io: IO, id: ObjectId, ports: readonly LocalAddress[]): void {
  const t = existingTable(io);
  ports.forEach((far, n) => {
    if (far === 0) return;
    const here = id + n;
    const c = t?.byAddress.get(here);
    if (t && c) free(t, c);
    const q = io.processFor(objectOf(far));
    if (q && q.ports[portOf(far)] === here) q.peerVanished(portOf(far));
  });
  if (t) {
    t.waiting -= t.waitingOf.get(id) ?? 0;
    t.waitingOf.delete(id);
    const dedication = t.dedicated.get(id);
    t.dedicated.delete(id);
    dedication?.gone?.();
  }
}

/**
 * Removes `p` from its container: its ports cease to exist. They count as gone
 * from the start, so a connect waiting for one of them fails rather than
 * claiming it as it is freed; then every port is disconnected, and every wait
 * on them settles (false; a connect rejects).
 */
export function remove(p: Process): void {
  const t = table(p.io);
  if (!p.inContainer) return;
  const dedication = t.dedicated.get(p.id);
  startGoing(t, p.id);
  try {
    p.ports.forEach((a, n) => {
      if (a !== 0) unlink(p, n, 'disconnect');
    });
    p.io.remove(p);
  } finally {
    stopGoing(t, p.id);
    t.dedicated.delete(p.id);
  }
  if (engineHooks.removed !== undefined) engineHooks.removed(p);
  dedication?.gone?.();
  if (t.observers.size > 0) emit(t, { op: 'remove', object: p.id });
  const ports = lives.get(p);
  if (ports) for (const n of [...ports.keys()]) poke(p, n);
}

/**
 * The process's ports cease to exist: every connected port first ends its
 * stream (the peers drain and see end of stream), then the process leaves its
 * container, which disconnects them.
 */
export function destroy(p: Process): void {
  p.ports.forEach((far, n) => {
    if (far !== 0 && !p.endState(n)[1]) p.end(n);
  });
  p.remove();
}

// ---------------------------------------------------------------- notices

// A notice is the bare news that something happened on a port of a process:
// it may write through it again (`Process.writableAgain` downstream), its peer
// ended its stream, its connection went. `Process.whenWritableAgain` and
// `Process.whenEnded` await one; the waits below are built on them (a writable
// waiter re-checks on the "writable again" notice, through its bridge).

export type NoticeKind = 'writable' | 'ended';

/** Resolvers of pending notices, by process and `port * 2 + (ended ? 1 : 0)`. */
const notices = new WeakMap<Process, Map<number, (() => void)[]>>();

const noticeKey = (port: number, kind: NoticeKind): number => port * 2 + (kind === 'ended' ? 1 : 0);

/** Resolves at the next notice of `kind` on port number `port` of `p`. */
export function notice(p: Process, port: number, kind: NoticeKind): Promise<void> {
  let waiting = notices.get(p);
  if (waiting === undefined) notices.set(p, (waiting = new Map()));
  const key = noticeKey(port, kind);
  let list = waiting.get(key);
  if (list === undefined) waiting.set(key, (list = []));
  const resolvers = list;
  return new Promise((resolve) => resolvers.push(resolve));
}

/** Delivers a notice to every waiter on it (all of them: none may be stranded); true if there were any. */
export function notify(p: Process, port: number, kind: NoticeKind): boolean {
  const waiting = notices.get(p);
  if (waiting === undefined) return false;
  const key = noticeKey(port, kind);
  const list = waiting.get(key);
  if (list === undefined) return false;
  waiting.delete(key);
  for (const resolve of list) resolve();
  return true;
}

// ---------------------------------------------------------------- waits

/** Resolves true once `port` is connected (at once if it is); false if it ceases to exist. */
export function whenConnected(p: Process, port: string | number): Promise<boolean> {
  const n = p.portNumber(port);
  const verdict = (q: Process, m: number): unknown => {
    if (!exists(q)) return false;
    return (q.ports[m] ?? 0) !== 0 ? true : KEEP;
  };
  const now = verdict(p, n);
  if (now !== KEEP) return Promise.resolve(now as boolean);
  return passive(p, n, 0, false, verdict);
}

/**
 * Resolves true once the connection now on `port` is over (at once if there is
 * none), following it if it moves; false if the port holding it ceases to exist.
 */
export function whenDisconnected(p: Process, port: string | number): Promise<boolean> {
  const n = p.portNumber(port);
  const nonce = nonceOf(p, n);
  if (!exists(p)) return Promise.resolve(false);
  if (nonce === 0) return Promise.resolve(true);
  return passive(p, n, nonce, false, (q, m) => {
    if (!exists(q)) return false;
    return nonceOf(q, m) !== nonce ? true : KEEP;
  });
}

/**
 * Resolves true once the process could write through `port` (its far end
 * admits something), false once it never can on this connection: the port is
 * gone, the connection is over or was replaced, this end ended its stream, or
 * the far end closed.
 */
export function whenWritable(p: Process, port: string | number): Promise<boolean> {
  const n = p.portNumber(port);
  const nonce = nonceOf(p, n);
  const verdict = (q: Process, m: number): unknown => {
    if (!exists(q) || nonceOf(q, m) !== nonce || nonce === 0) return false;
    if (q.endState(m)[1] || peerClosed(q, m)) return false;
    return negotiationHooks().writable(q, m, 1) > 0 ? true : KEEP;
  };
  const now = verdict(p, n);
  if (now !== KEEP) return Promise.resolve(now as boolean);
  return passive(p, n, nonce, true, verdict);
}

/**
 * Resolves true once `has(process, port)` says there is something to read, false
 * once nothing more can come on this connection: the port is gone, the
 * connection is over or was replaced, the peer ended its stream and nothing is
 * left, or this end closed. `has` is asked about the port the connection is on
 * (it may have moved).
 */
export function whenReadable(p: Process, port: string | number, has: (p: Process, port: number) => boolean): Promise<boolean> {
  const n = p.portNumber(port);
  const nonce = nonceOf(p, n);
  const verdict = (q: Process, m: number): unknown => {
    if (!exists(q)) return false;
    if (nonce === 0) return has(q, m); // not connected when asked: whatever is there
    if (nonceOf(q, m) !== nonce) return false;
    if (has(q, m)) return true;
    if (q.isEnded(m) || isClosed(q, m)) return false;
    return KEEP;
  };
  const now = verdict(p, n);
  if (now !== KEEP) return Promise.resolve(now as boolean);
  return passive(p, n, nonce, false, verdict);
}

/**
 * A wait of your own: `test(process, port)` runs now and after every change on
 * the port; it returns true or false to settle, undefined to keep waiting. With
 * `sameConnection`, the wait is tied to the connection now on the port (it
 * follows it when it moves, and settles false when it is over).
 */
export function waitFor(p: Process, port: string | number, test: (p: Process, port: number) => boolean | undefined, options: { sameConnection?: boolean } = {}): Promise<boolean> {
  const n = p.portNumber(port);
  const nonce = options.sameConnection ? nonceOf(p, n) : 0;
  const verdict = (q: Process, m: number): unknown => {
    if (!exists(q)) return false;
    if (options.sameConnection && nonceOf(q, m) !== nonce) return false;
    const v = test(q, m);
    return v === undefined ? KEEP : v;
  };
  const now = verdict(p, n);
  if (now !== KEEP) return Promise.resolve(now as boolean);
  return passive(p, n, nonce, false, verdict);
}

/** Tells the waiters on `port` that something changed (data arrived, a buffer drained). */
export function changed(p: Process, port: string | number): void {
  poke(p, p.portNumber(port));
}

function passive(p: Process, n: number, nonce: number, writable: boolean, verdict: (q: Process, m: number) => unknown): Promise<boolean> {
  const homes: [Process, number][] = [[p, n]];
  return addWaiter(homes, nonce, true, writable, () => verdict(homes[0][0], homes[0][1])) as Promise<boolean>;
}

function listOf(p: Process, n: number): Set<Waiter> {
  let ports = lives.get(p);
  if (!ports) lives.set(p, (ports = new Map()));
  let list = ports.get(n);
  if (!list) ports.set(n, (list = new Set()));
  return list;
}

/** Moves one waiter's count from one object to another (either may be undefined). */
function attribute(t: Table, from: Process | undefined, to: Process | undefined): void {
  if (from) {
    const k = (t.waitingOf.get(from.id) ?? 0) - 1;
    if (k > 0) t.waitingOf.set(from.id, k);
    else t.waitingOf.delete(from.id);
  }
  if (to) t.waitingOf.set(to.id, (t.waitingOf.get(to.id) ?? 0) + 1);
}

function addWaiter(homes: [Process, number][], nonce: number, isPassive: boolean, writable: boolean, check: Check, onSettle?: () => void, made?: (w: Waiter) => void): Promise<unknown> {
  const t = table(homes[0][0].io);
  return new Promise((resolve, reject) => {
    const w: Waiter = { homes, nonce, check, passive: isPassive, writable, resolve, reject, onSettle, scheduled: false, done: false };
    made?.(w);
    for (const [p, n] of homes) listOf(p, n).add(w);
    t.waiting++;
    attribute(t, undefined, homes[0][0]);
    if (writable) bridge(homes[0][0], homes[0][1]);
    consider(t, w, false);
  });
}

/**
 * The process's own "writable again" notice (Process.whenWritableAgain) wakes
 * our writable waiters on that port. One bridge per port at a time.
 */
function bridge(p: Process, n: number): void {
  let ports = bridged.get(p);
  if (!ports) bridged.set(p, (ports = new Set()));
  if (ports.has(n)) return;
  ports.add(n);
  void notice(p, n, 'writable').then(() => {
    ports!.delete(n);
    poke(p, n);
    const list = lives.get(p)?.get(n);
    if (list && [...list].some((w) => w.writable && !w.done)) bridge(p, n);
  });
}

/** Re-checks every waiter on (p, n). Changes made while re-checking are queued, not nested. */
function poke(p: Process, n: number): void {
  const t = table(p.io);
  // Nobody waits on this port, and no re-check is under way that could be queued behind.
  if (!t.draining && lives.get(p)?.get(n) === undefined) return;
  t.pokes.push(p, n);
  if (t.draining) return;
  t.draining = true;
  try {
    for (let i = 0; i < t.pokes.length; i += 2) {
      const q = t.pokes[i] as Process;
      const m = t.pokes[i + 1] as number;
      const list = lives.get(q)?.get(m);
      if (!list) continue;
      // Live iteration: settling deletes from the set, which iteration allows.
      for (const w of list) {
        if (w.done || w.scheduled) continue;
        // A connect cannot go ahead while this port is connected; it learns that
        // its own port vanished, or that it was aborted, from pokes on that port.
        if (!w.passive && (q.ports[m] ?? 0) !== 0) continue;
        consider(t, w, false);
      }
    }
  } finally {
    t.pokes.length = 0;
    t.draining = false;
  }
}

function consider(t: Table, w: Waiter, resuming: boolean): void {
  let v: unknown;
  try {
    v = w.check();
  } catch (error) {
    settle(t, w, false, error);
    return;
  }
  if (v === KEEP) return;
  if (w.passive && t.scheduler && !resuming) {
    // Resume as a scheduler task, re-checking then: the state may have moved on.
    w.scheduled = true;
    t.scheduler.schedule(() => {
      if (w.done) return;
      w.scheduled = false;
      consider(t, w, true);
    });
    return;
  }
  settle(t, w, true, v);
}

function settle(t: Table, w: Waiter, ok: boolean, value: unknown): void {
  if (w.done) return;
  w.done = true;
  for (const [p, n] of w.homes) {
    const ports = lives.get(p);
    const list = ports?.get(n);
    if (!list) continue;
    list.delete(w);
    if (list.size === 0) ports!.delete(n);
  }
  t.waiting--;
  attribute(t, w.homes[0][0], undefined);
  w.onSettle?.();
  // A passive waiter resuming under a scheduler is already a scheduler task.
  if (!w.passive && t.scheduler) t.scheduler.schedule(ok ? () => w.resolve(value) : () => w.reject(value));
  else if (ok) w.resolve(value);
  else w.reject(value);
}
