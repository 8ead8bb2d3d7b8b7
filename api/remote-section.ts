// chain.on(remoteHost): the per-element steps after it run on another machine
// of the cluster, the rest back on this one. See docs/cluster.md, "Joining
// through the IO container, and placing a chain on another host".
//
// As with chain.on(worker) (api/parallel.ts), the steps are recorded when the
// chain is built: registered processes by name with portable parameters,
// checked now (transport/portable-params.ts), so a closure is refused before
// anything runs, naming the function, the free name and the step. Nothing
// starts until the chain after the placement is read; then
//
//   1. the container joins the cluster if it has not yet, and the handle finds
//      the far host among the live peers (api/remote-host.ts);
//   2. two cross-host connections are opened and the far host's placement
//      service is asked to run the steps between them
//      (cluster/placement-request.ts); it checks the resolver headers first
//      and refuses with everything it lacks;
//   3. the source side runs into the outgoing connection, and what comes back
//      is handed to the chain after the placement, in order.
//
// The far host's loss (membership) ends both connections with `host-lost`:
// the run fails with an error naming the host and the steps, after every
// result that had arrived was handed on, so what the chain saw is an exact
// prefix of the full output.
import type { Definition } from '../engine/definition.js';
import { admitWith, chunk, define, value } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import { errorOf } from '../engine/ports.js';
import { Process } from '../engine/process.js';
import { Run } from '../engine/run.js';
import { registry } from '../processes/registry.js';
import { input } from '../processes/sources/input.js';
import type { Reader } from '../processes/sources/readers.js';
import { CALLER_PACKAGE, ENGINE_PACKAGE, type DefinitionProvenance, type ResolverHeaders } from '../transport/dependencies.js';
import type { StageSpec } from '../transport/parallel-messages.js';
import { packParams } from '../transport/portable-params.js';
import type { OpenedPlacement } from '../cluster/placement-request.js';
import type { Chain } from './chain.js';
import { policyOf, setPolicy } from './guarded.js';
import { PER_ELEMENT } from './parallel.js';
import type { RemoteHost } from './remote-host.js';

export interface PlacementOptions {
  /**
   * Elements sent to the far host and not yet stored by the server, at most
   * (default 4 096). The far host works on what arrives one message at a time,
   * so smaller messages bring the first results back sooner; larger ones cost
   * fewer round trips.
   */
  chunk?: number;
  /** Results held on this host before the far host is made to wait (default 65 536). */
  window?: number;
  /**
   * Changes the resolver headers before they are sent. Only for checking a
   * host's refusals (a test pretending to be another sender); a real sender
   * says what it has.
   */
  headers?: (headers: ResolverHeaders) => ResolverHeaders;
}

/** The far host was lost while it ran placed steps: what had arrived was handed on, nothing after. */
export class PlacedHostLostError extends Error {
  override name = 'PlacedHostLostError';
  readonly code = 'host-lost';
  constructor(
    /** The host, as its handle names it (`host 2 ("b")`). */
    readonly host: string,
    /** The steps that ran there. */
    readonly steps: string,
    /** Results that had arrived and were handed on. */
    readonly arrived: number,
    cause: unknown,
  ) {
    super(`host-lost: ${host} was lost while running ${steps}; the ${arrived} results that had arrived were handed on, nothing after them`, { cause });
  }
}

// ---------------------------------------------------------------- what comes back

/**
 * The results that came back and were not read yet, bounded: the relay below
 * admits only what fits, so a slow consumer makes the far host wait (through
 * the incoming connection's window) instead of filling this host's memory.
 */
class Arrivals {
  private items: unknown[] = [];
  private head = 0;
  private ended = false;
  private error: unknown;
  private waiter: (() => void) | undefined;
  private refused = false;
  /** Results pushed in so far. */
  arrived = 0;
  /** Told when room frees up after a refusal (the relay is writable again). */
  onRoom: () => void = () => undefined;

  constructor(
    private readonly capacity: number,
    /** Turns a failure into the error the run reports (a lost host named with the steps). */
    private readonly explain: (error: unknown, arrived: number) => unknown,
  ) {}

  get finished(): boolean {
    return this.ended;
  }

  admit(n: number): number {
    const room = this.ended ? 0 : this.capacity - (this.items.length - this.head);
    if (room < n) this.refused = true;
    return Math.max(0, Math.min(n, room));
  }

  push(xs: ArrayLike<unknown>, offset: number, n: number): void {
    for (let i = offset; i < offset + n; i++) this.items.push(xs[i]);
    this.arrived += n;
    this.wake();
  }

  /** The end (error undefined) or a failure; the first one counts. What is held is still read before it. */
  finish(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error === undefined ? undefined : this.explain(error, this.arrived);
    this.wake();
  }

  async read(max: number): Promise<unknown[] | null> {
    while (this.items.length === this.head && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    if (this.items.length > this.head) {
      const end = Math.min(this.items.length, this.head + max);
      const out = this.items.slice(this.head, end);
      this.head = end;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.refused) {
        this.refused = false;
        this.onRoom();
      }
      return out;
    }
    if (this.error !== undefined) throw this.error;
    return null;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** The incoming connection's downstream: it takes what the arrivals have room for. */
const placementArrivals = define('placementArrivals', {
  ports: ['in'],
  inputs: ['in'],
  params: { arrivals: value<Arrivals>() },
  onEnd: (s) => s.params.arrivals.finish(errorOf(s.endReason('in'))),
})
  .admittance('>in', admitWith((s, n) => s.params.arrivals.admit(n)))
  .flow('>in', chunk((s, xs, offset, n) => {
    s.params.arrivals.push(xs as ArrayLike<unknown>, offset, n);
    return n;
  }));

// ---------------------------------------------------------------- a section

export class RemoteSection {
  readonly stages: StageSpec[] = [];
  private readonly definitions = new Map<string, DefinitionProvenance>();
  private made: Process | undefined;
  private relay: Process | undefined;
  private placed: OpenedPlacement | undefined;
  private starting: Promise<void> | undefined;
  private readonly arrivals: Arrivals;
  readonly name: string;

  constructor(
    readonly io: IO,
    /** The chain before on(host): the source side. */
    private readonly upstream: Chain<unknown>,
    readonly host: RemoteHost,
    private readonly options: PlacementOptions = {},
  ) {
    this.name = `on(${host.toString()})`;
    const window = options.window ?? 65_536;
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`${this.name}: window must be a positive integer, got ${String(window)}`);
    const chunkSize = options.chunk ?? 4096;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`${this.name}: chunk must be a positive integer, got ${String(chunkSize)}`);
    this.arrivals = new Arrivals(window, (error, arrived) => {
      const code = (error as { code?: unknown } | null)?.code;
      return code === 'host-lost' ? new PlacedHostLostError(this.host.toString(), this.steps, arrived, error) : error;
    });
  }

  /** True once the chain after the placement exists: steps added from then on run on this host. */
  get closed(): boolean {
    return this.made !== undefined;
  }

  /**
   * Records a step to run on the far host if it runs per element; returns
   * false for a step that must run here. A function that is not portable is
   * refused now, naming the free name, the function and the step.
   */
  add(def: Definition, params: Record<string, unknown>, step: string): boolean {
    if (this.closed || !PER_ELEMENT.has(def)) return false;
    const label = `${step} (step ${this.stages.length + 1} of ${this.name})`;
    this.stages.push({ name: def.name, step, params: packParams(params, label) });
    this.definitions.set(def.name, { name: def.name, package: registry.get(def.name)?.definition === def ? ENGINE_PACKAGE : CALLER_PACKAGE });
    return true;
  }

  /** Reducers run on this host, over what comes back. */
  reduceEach(): boolean {
    return false;
  }

  /** No per-chunk statistics: the connections' windows bound what is held. */
  get stats(): undefined {
    return undefined;
  }

  /** The placed processes' labels on the far host, once it accepted them. */
  get labels(): readonly string[] {
    return this.placed?.labels ?? [];
  }

  /** The steps, for messages: `map, filter` */
  get steps(): string {
    return this.stages.map((s) => s.step).join(', ') || 'no steps';
  }

  /** The chain after the placement starts here: a source on this host that gives what comes back (made once). */
  merged(): Process {
    return (this.made ??= this.makeMerge());
  }

  private makeMerge(): Process {
    const section = this;
    const reader: Reader = {
      bytes: false,
      name: this.name,
      read(max) {
        section.starting ??= section.start().catch((error: unknown) => section.arrivals.finish(error));
        return section.arrivals.read(max);
      },
      async close() {
        // The chain after the placement stopped reading: the far host is told (a half-close), and stops in turn.
        if (!section.arrivals.finished) section.placed?.reader.close();
        section.arrivals.finish();
      },
    };
    const merge = new Process(this.io, input, { reader, chunkSize: 1 << 16 }).nameStep('on');
    // The steps after the placement are under the chain's error policy, as they would be without on().
    const policy = policyOf(this.upstream.source);
    if (policy !== undefined) setPolicy(merge, policy.policy, policy.report);
    return merge;
  }

  private headers(): ResolverHeaders {
    const headers: ResolverHeaders = { definitions: [...this.definitions.values()], modules: [] };
    return this.options.headers?.(headers) ?? headers;
  }

  private async start(): Promise<void> {
    const { membership, record } = await this.host.resolve();
    const { requestPlacement } = await import('../cluster/placement-request.js');
    const placed = await requestPlacement({
      io: this.io,
      membership,
      far: record.index,
      stages: this.stages,
      headers: this.headers(),
      chunk: this.options.chunk ?? 4096,
    });
    this.placed = placed;
    // Results back: the incoming connection feeds the arrivals.
    const relay = (this.relay = new Process(this.io, placementArrivals, { arrivals: this.arrivals }));
    this.arrivals.onRoom = () => {
      if (relay.isConnected('in')) relay.writableAgain('in');
    };
    placed.reader.process.connect('out', relay, 'in');
    placed.reader.start();
    // Elements out: the source side runs into the outgoing connection.
    const up = this.upstream;
    up.tail.connect(up.tailPort, placed.writer.process, 'in');
    Run.of(placed.writer.process, () => undefined).start().catch((error: unknown) => this.arrivals.finish(error));
    // The streams go once both directions are over: the far host has read its input's end (or was lost), and the results ended here.
    void Promise.all([placed.writer.finished, relay.whenEnded('in')]).finally(() => {
      this.io.unpin(placed.writer.process);
      this.io.unpin(placed.reader.process);
      void placed.remove();
    });
  }
}
