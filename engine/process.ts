// The process base: an object id, up to 65,536 ports, parameters and state,
// and its name in messages. The compiled entries that move data through it
// are the JIT's (jit/entries.ts), which keeps its table of them in a field the
// engine never reads (`entryTable`); its realm lives
// with the realms (realm/placement.ts). The engine reaches both through hooks
// (engine/hooks.ts).
//
// A connection monopolises both ports. Connect and disconnect are symmetric
// (both ends always agree) and connecting an occupied port throws a PortError:
// a refused connection is a bug in the caller's topology, never a quiet no-op.
import { objectIndex, localAddress, objectOf, portOf, type LocalAddress, type ObjectId } from './address.js';
import type { Definition } from './definition.js';
import { PortError } from './errors.js';
import type { Elements, Flowable } from './flowable.js';
import { engineHooks, negotiationHooks, realmHooks, type CompiledEntry, type EntryKind, type Realm } from './hooks.js';
import type { IO } from './io.js';
import * as lifecycle from './ports.js';

const NONE: ReadonlySet<never> = new Set();
const NO_PARAMS: Record<string, unknown> = Object.freeze({});

const ENDED_BY_PEER = 1;
const ENDED_BY_US = 2;

// What `endState` answers, by the port's end-of-stream bits: shared, since it is
// asked on every close and move, and a fresh pair each time was garbage per connection.
const END_STATES: readonly (readonly [boolean, boolean])[] = Object.freeze([
  Object.freeze([false, false] as const),
  Object.freeze([true, false] as const),
  Object.freeze([false, true] as const),
  Object.freeze([true, true] as const),
]);
const NO_UNUSUAL_ENDS: readonly [undefined, undefined] = Object.freeze([undefined, undefined] as const);

// Keys of unclean end-of-stream reasons: two per port number.
const endKey = (port: number, ours: boolean): number => port * 2 + (ours ? 1 : 0);

/** Marks the processes one "writable again" notification has visited. */
let visit = 0;

export { PortError };

export class Process {
  readonly id: ObjectId;
  /** @internal Set by the container: true from `add` until `remove` (a collected process is never asked). */
  inContainer = false;
  /** @internal Set by the container: held strongly (`IO.hold`) until `letGo` or `remove`. */
  heldByContainer = false;
  /** Far-end local address per port number; 0 means not connected. */
  readonly ports: LocalAddress[];
  readonly params: Record<string, unknown>;
  readonly state: Record<string, unknown>;
  // The collections below are made on first use: a merge of a thousand sources
  // creates a thousand processes per run, and most of them never need most of these.
  /** The process on each input port, by port number: we keep them alive (dependency pinning). */
  private inputs?: (Process | undefined)[];
  /** End of stream per port number: ENDED_BY_PEER and ENDED_BY_US bits (flags, not sets: they change on every connection). */
  private ends?: number[];
  /** Why a stream on a port ended, when not cleanly: by `endKey(port, ours)`. */
  private reasons?: Map<number, lifecycle.EndReason>;
  /**
   * The first unclean end of stream this process received (an error or a
   * reset): the streams it ends afterwards end for the same reason, so a
   * truncated input never becomes a clean-looking output.
   */
  fault: lifecycle.EndReason | undefined = undefined;
  /**
   * @internal The JIT's table of this process's entries (jit/entries.ts), opaque
   * to the engine. A field rather than a WeakMap keyed by the process: a server
   * makes processes per connection, and every weak map entry costs the collector.
   */
  entryTable: unknown = undefined;

  constructor(
    readonly io: IO,
    readonly def: Definition,
    params: Record<string, unknown> = {},
    /** The realm the process lives in; the container's (`io.realm`) by default. */
    realm?: Realm,
  ) {
    for (const p of def.params) {
      if (!(p in params)) throw new TypeError(`${def.name}: missing parameter ${def.params.filter((q) => !(q in params)).join(', ')}`);
    }
    // Freezing is a slow call: a class without parameters shares one frozen object.
    this.params = isEmpty(params) ? NO_PARAMS : Object.freeze(copyOf(params));
    // Sized for the fixed ports at once (range members are added past them).
    this.ports = def.portTemplate.slice();
    // Copied from a template with every field, so all states of a class share one shape from the start.
    // Object.assign onto {}, not a spread: once this one copy site has seen more than a few classes
    // (every process of every class is made here), a spread's copy gets a new shape, unlike the
    // states made before it, and fused code compiled against the old one deoptimizes on every call
    // (a worker's chain of parallel(), called once per chunk: twice per chunk, for good).
    this.state = Object.assign({}, def.stateTemplate);
    for (const name of def.stateNames) this.state[name] = def.stateInit[name](this.params);
    this.id = io.add(this);
    if (realm !== undefined) realmHooks().place(this, realm);
  }

  /** The realm this process lives in: where its `#error` signals start and its port states are proclaimed. */
  get realm(): Realm {
    return realmHooks().of(this);
  }

  /** Processes on our input ports, which this process keeps alive. */
  get dependencies(): ReadonlySet<Process> {
    return this.inputs ? new Set(this.inputs.filter((p): p is Process => p !== undefined)) : NONE;
  }

  /**
   * The name the user asked for when a step is carried out by another class
   * (an `onError('skip')` map runs as filterMap): messages name the step the
   * user wrote, not the class that carries it out.
   */
  private step?: string;

  /** `map#3`: the step's name (the class name unless set by `nameStep`) and the object index, for messages. */
  get label(): string {
    return `${this.step ?? this.def.name}#${objectIndex(this.id)}`;
  }

  /** Names the process in messages after the step the user wrote (see `label`). */
  nameStep(name: string): this {
    this.step = name;
    return this;
  }

  portNumber(port: string | number): number {
    if (typeof port === 'number') {
      if (!Number.isInteger(port) || port < 0 || port >= this.def.portCount) {
        throw new PortError(`${this.label}: no port number ${port}`);
      }
      return port;
    }
    try {
      return this.def.portNumber(port);
    } catch {
      const names = [...this.def.ports, ...(this.def.range === undefined ? [] : [`${this.def.range}[]`])];
      throw new PortError(`${this.label}: unknown port ${JSON.stringify(port)} (ports: ${names.join(', ')})`);
    }
  }

  portName(port: number): string {
    return this.def.portName(port);
  }

  /** The connected members of a port range, in member order. */
  members(range: string): number[] {
    if (range !== this.def.range) throw new PortError(`${this.label}: no port range ${JSON.stringify(range)}`);
    const out: number[] = [];
    for (let n = this.def.ports.length; n < this.ports.length; n++) if ((this.ports[n] ?? 0) !== 0) out.push(n);
    return out;
  }

  address(port: string | number): LocalAddress {
    return localAddress(this.id, this.portNumber(port));
  }

  isConnected(port: string | number): boolean {
    return (this.ports[this.portNumber(port)] ?? 0) !== 0;
  }

  /** The process and port on the far end of `port`, if connected and alive. */
  peer(port: string | number): { process: Process; port: string } | undefined {
    const n = this.portNumber(port);
    const process = this.farProcess(n);
    if (!process) return undefined;
    return { process, port: process.portName(portOf(this.ports[n])) };
  }

  /** @internal The live process on the far end of port number `n`, if any (its port number is `portOf(this.ports[n])`). */
  farProcess(n: number): Process | undefined {
    const far = this.ports[n] ?? 0;
    if (far === 0) return undefined;
    // An input's far end is held strongly already: no weak lookup needed.
    return this.inputs?.[n] ?? this.io.processFor(objectOf(far));
  }

  /**
   * Connects our `port` to `farPort` of `far`. Throws if either port is taken
   * (or gone). Every port state change goes through the lifecycle (ports.ts).
   */
  connect(port: string | number, far: Process, farPort: string | number): this {
    lifecycle.connect(this, port, far, farPort);
    return this;
  }

  /** Disconnects `port` on both ends. Returns false if it was not connected. */
  disconnect(port: string | number): boolean {
    return lifecycle.disconnect(this, port);
  }

  /** Called by the container when the process on the far end of `port` was collected. */
  peerVanished(port: number): void {
    lifecycle.peerVanished(this, port);
  }

  /** @internal For the lifecycle (ports.ts): the connection on `port` now leads to `far`. */
  linked(port: number, far: Process): void {
    if (this.def.isInput(port)) (this.inputs ??= [])[port] = far;
    if (this.def.onConnect !== undefined && far.ports[portOf(this.ports[port])] === localAddress(this.id, port)) {
      this.def.onConnect(this, this.portName(port));
    }
  }

  /** @internal For the lifecycle (ports.ts): `port` no longer leads anywhere. */
  unlinked(port: number): void {
    if (this.ends !== undefined && this.ends[port]) this.ends[port] = 0;
    if (this.reasons !== undefined) this.clearReasons(port);
    lifecycle.notify(this, port, 'writable');
    if (this.inputs !== undefined && this.inputs[port] !== undefined) this.inputs[port] = undefined;
  }

  /** @internal For the lifecycle (ports.ts): [the peer ended its stream into `port`, we ended ours]. */
  endState(port: number): readonly [boolean, boolean] {
    return END_STATES[(this.ends?.[port] ?? 0) & (ENDED_BY_PEER | ENDED_BY_US)];
  }

  /** @internal For the lifecycle (ports.ts): a connection moved here brings its end-of-stream state, silently. */
  setEndState(port: number, byPeer: boolean, byUs: boolean, reasons?: readonly [lifecycle.EndReason | undefined, lifecycle.EndReason | undefined]): void {
    const bits = (byPeer ? ENDED_BY_PEER : 0) | (byUs ? ENDED_BY_US : 0);
    if (bits !== 0 || this.ends?.[port]) (this.ends ??= [])[port] = bits;
    if (this.reasons !== undefined) this.clearReasons(port);
    if (reasons?.[0] !== undefined && byPeer) this.keepReason(endKey(port, false), reasons[0]);
    if (reasons?.[1] !== undefined && byUs) this.keepReason(endKey(port, true), reasons[1]);
  }

  /** @internal For the lifecycle (ports.ts): [why the peer ended its stream into `port`, why we ended ours], when not cleanly. */
  unusualEnds(port: number): readonly [lifecycle.EndReason | undefined, lifecycle.EndReason | undefined] {
    if (this.reasons === undefined) return NO_UNUSUAL_ENDS;
    return [this.reasons.get(endKey(port, false)), this.reasons.get(endKey(port, true))];
  }

  private keepReason(key: number, why: lifecycle.EndReason): void {
    if (why.reason !== 'end') (this.reasons ??= new Map()).set(key, why);
  }

  private clearReasons(port: number): void {
    this.reasons!.delete(endKey(port, false));
    this.reasons!.delete(endKey(port, true));
  }

  // ------------------------------------------------------------ negotiated IO
  // Carried out by the JIT (jit/entries.ts, jit/negotiated.ts), which keeps the
  // entries by process; these forward to it for the callers that hold a process.

  /** The compiled entry for (this, spec, kind), created on first use and compiled on first call. */
  entry(specText: string, kind: EntryKind): CompiledEntry {
    return negotiationHooks().entry(this, specText, kind);
  }

  /** How much of `flowable` could move through `spec` now. */
  admittance<X extends Elements>(specText: string, flowable: Flowable<X>): Flowable<X> {
    return negotiationHooks().admittance(this, specText, flowable);
  }

  /** Commits `admitted` (the result of `admittance`) through `spec`; returns how much moved. */
  flow<X extends Elements>(specText: string, admitted: Flowable<X>): number {
    return negotiationHooks().flow(this, specText, admitted);
  }

  /** The entries this process holds or keeps alive (for tools: the inspector finds fused chains here). */
  compiledEntries(): CompiledEntry[] {
    return negotiationHooks().compiledEntries(this);
  }

  // ------------------------------------------------------------ end of stream

  /**
   * Ends our side of `port`: the peer sees end of stream. `why` says why
   * (a clean end by default; after an unclean end of one of our inputs, that
   * one's reason: see `fault`).
   */
  end(port: string | number, why?: lifecycle.EndReason): void {
    const n = this.portNumber(port);
    if (!this.mark(n, ENDED_BY_US)) return;
    const reason = why ?? this.fault;
    if (reason !== undefined) this.keepReason(endKey(n, true), reason);
    if (engineHooks.ended !== undefined) engineHooks.ended(this, n);
    const far = this.farProcess(n);
    if (far) far.peerEnded(portOf(this.ports[n]), reason);
    // Our own writable waits on this port can never be fulfilled now.
    lifecycle.changed(this, n);
  }

  isEnded(port: string | number): boolean {
    return ((this.ends?.[this.portNumber(port)] ?? 0) & ENDED_BY_PEER) !== 0;
  }

  /**
   * Why the peer ended its stream into `port`: undefined while it has not,
   * `{ reason: 'end' }` for a clean end, `error` or `reset` for a truncated one.
   */
  endReason(port: string | number): lifecycle.EndReason | undefined {
    const n = this.portNumber(port);
    if (!this.isEnded(n)) return undefined;
    return this.reasons?.get(endKey(n, false)) ?? lifecycle.END;
  }

  /** Why we ended our stream on `port` (undefined while we have not). */
  sentReason(port: string | number): lifecycle.EndReason | undefined {
    const n = this.portNumber(port);
    if (!this.endState(n)[1]) return undefined;
    return this.reasons?.get(endKey(n, true)) ?? lifecycle.END;
  }

  /** Sets an end-of-stream bit on port `n`; false if it was already set. */
  private mark(n: number, bit: number): boolean {
    const ends = (this.ends ??= []);
    const bits = ends[n] ?? 0;
    if (bits & bit) return false;
    ends[n] = bits | bit;
    return true;
  }

  private peerEnded(n: number, why?: lifecycle.EndReason): void {
    if (!this.mark(n, ENDED_BY_PEER)) return;
    // A member of a range that ended leaves the fan-outs over the range (see openMembers in jit/compile.ts).
    if (this.def.rangeOf(n) !== undefined) engineHooks.topologyChanged?.(this, n);
    if (why !== undefined && why.reason !== 'end') {
      this.keepReason(endKey(n, false), why);
      this.fault ??= why;
    }
    const port = this.portName(n);
    if (this.def.onEnd) this.def.onEnd(this, port);
    else this.endOthers(port);
    lifecycle.notify(this, n, 'ended');
    lifecycle.notify(this, n, 'writable');
  }

  /**
   * The default on end of stream: end every other connected port. When an input
   * ends, the outputs end after it (a map's result is complete); when a reader
   * ends an output, the inputs end too, so the sources upstream stop.
   */
  endOthers(port: string): void {
    const ended = this.portNumber(port);
    this.ports.forEach((far, n) => {
      if (far !== 0 && n !== ended) this.end(n);
    });
  }

  // ------------------------------------------------------------ waits

  // The waits are the port lifecycle's (ports.ts): these two await its bare
  // notices; `ports.whenWritable` and the other lifecycle waits re-check a
  // condition and settle with true or false.

  /**
   * Resolves at the next "writable again" notice for `port` (someone downstream
   * called `writableAgain`), or when the port ends or is disconnected. A writer
   * whose admittance was 0 awaits this, then asks again.
   */
  whenWritableAgain(port: string | number): Promise<void> {
    return lifecycle.notice(this, this.portNumber(port), 'writable');
  }

  /** Resolves when the peer has ended its stream into `port` (at once if it has). */
  whenEnded(port: string | number): Promise<void> {
    const n = this.portNumber(port);
    return this.isEnded(n) ? Promise.resolve() : lifecycle.notice(this, n, 'ended');
  }

  /**
   * Tells whoever writes into our `port` that we can take more again (a buffer
   * drained, a device took its data). The news travels upstream: a process
   * waiting to write wakes; any other passes it on through its inputs.
   */
  writableAgain(port: string | number): void {
    const n = this.portNumber(port);
    const far = this.farProcess(n);
    if (far) far.farWritable(portOf(this.ports[n]), ++visit);
  }

  /** Last `visit` that reached this process: each is passed on once, however the graph loops. */
  private visited = 0;

  private farWritable(port: number, at: number): void {
    if (this.visited === at) return;
    this.visited = at;
    if (lifecycle.notify(this, port, 'writable')) return;
    for (let n = 0; n < this.ports.length; n++) {
      const far = this.ports[n];
      if (!far || !this.def.isInput(n)) continue;
      const up = this.farProcess(n);
      if (up) up.farWritable(portOf(far), at);
    }
  }

  /** Removes the process from its container after disconnecting every port. */
  remove(): void {
    lifecycle.remove(this);
  }
}

/**
 * A copy of the parameters to freeze. Object.assign onto a literal, not a
 * spread: V8 freezes such a copy several times faster (about 0.25 against
 * 0.7-1 microseconds for four parameters), which a server making processes per
 * connection feels. Assign sets where a spread defines, so an own `__proto__`
 * key would set the copy's prototype: such parameters are spread.
 */
function copyOf(params: Record<string, unknown>): Record<string, unknown> {
  return Object.hasOwn(params, '__proto__') ? { ...params } : Object.assign({}, params);
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}
