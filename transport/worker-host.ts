// A host on a worker thread, seen from the thread that started it: it starts
// the worker (transport/worker-container.ts, with its own IO container and host
// id), places registered processes on it, and connects their ports to this
// thread's processes through thread links (transport/thread-link.ts).
//
//   const host = new WorkerHost({ script, host: hostId(2) });
//   const io = new IO({ host: hostId(1), remote: host.route() });
//   const far = await host.place(io, map, { f: (x: number) => x * 2 }, { inputs: ['in'], outputs: ['out'] });
//   source.connect('out', io.processFor(far.address('in'))!, 'in');
//   far.output('out').connect('out', sink, 'in');
//
// When the worker exits (it threw, or it was terminated) every connection
// it was an end of breaks: this thread's readers and writers end with an
// error whose message says the host was lost (transport/supervise.ts).
import { Worker } from 'node:worker_threads';
import { fullAddress, hostIndex, type HostId } from '../engine/address.js';
import type { Definition } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { decodeValues } from './codec.js';
import { packParams } from './portable-params.js';
import { superviseWorker, type Attachment } from './supervise.js';
import { createWire, LinkBrokenError, offerAgain, ThreadReader, ThreadWriter, type Wire } from './thread-link.js';
import type { PlaceRequest, WorkerReply, WorkerRequest, WorkerStart } from './worker-messages.js';

export interface WorkerHostOptions {
  /** The built worker-container.js (a worker runs JavaScript, not TypeScript). */
  script: string | URL;
  /** The worker container's host id. */
  host: HostId;
  /** Credit each reader grants, in elements (default 64). */
  window?: number;
  /** Bytes of each connection's ring (a power of two, default 64 KiB). */
  ringBytes?: number;
  /** The folder the worker resolves module references from (default: its working directory). */
  root?: string;
}

/** The ports of a process to connect across: which the process reads, which it writes. */
export interface PlacedPorts {
  inputs?: readonly string[];
  outputs?: readonly string[];
}

/** A process placed on the worker, and this thread's ends of its connections. */
export interface Placed {
  readonly id: number;
  readonly label: string;
  /** The full address of one of its ports (for io.processFor). */
  address(port: string): bigint;
  /** The writer stand-in for an input port: connect to its `in` to write to that port. */
  input(port: string): Process;
  /** The reader stand-in for an output port: connect its `out` to read from that port. */
  output(port: string): Process;
  /** For a process without outputs (a sink): its state once every input ended. */
  state(): Promise<Record<string, unknown>>;
}

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: Error): void;
}

export class WorkerHost {
  readonly worker: Worker;
  readonly host: HostId;
  readonly window: number;
  private readonly ringBytes: number;
  private readonly attachments: Attachment[] = [];
  private readonly writers: ThreadWriter[] = [];
  private readonly readers = new Set<ThreadReader>();
  private readonly byAddress = new Map<bigint, Process>();
  private readonly pending = new Map<number, Pending>();
  private readonly sinkStates = new Map<number, Pending>();
  private requests = 0;
  private readonly lostWatchers = new Set<(detail: string) => void>();
  private cause = '';
  /** Why the host is gone, once it is. */
  lost: string | undefined;

  constructor(options: WorkerHostOptions) {
    this.host = options.host;
    this.window = options.window ?? 64;
    this.ringBytes = options.ringBytes ?? 1 << 16;
    const start: WorkerStart = { host: hostIndex(this.host), ...(options.root === undefined ? {} : { root: options.root }) };
    this.worker = new Worker(options.script, { workerData: start });
    const name = `host ${hostIndex(this.host)} (worker thread ${this.worker.threadId})`;
    // Resets the rings the worker was an end of: this thread's readers see it and end with the error.
    superviseWorker(this.worker, this.attachments, name);
    this.worker.on('message', (m: WorkerReply) => this.received(m));
    this.worker.once('error', (e: unknown) => {
      this.cause = `: ${e instanceof Error ? e.message : String(e)}`;
    });
    this.worker.once('exit', (code: number) => this.gone(`host lost: ${name} exited with code ${code}${this.cause}`));
  }

  /** The `remote` option for this thread's container: addresses of placed ports resolve to their writer stand-ins. */
  route(): (address: bigint) => Process | undefined {
    return (address) => this.byAddress.get(address);
  }

  /**
   * Places the registered process `definition` on the worker with `params`
   * (functions must be portable: refused here, before anything is sent, with
   * an error naming the function, the process and the free name), and makes
   * this thread's ends of the connections of `ports`.
   */
  async place(io: IO, definition: Definition, params: Readonly<Record<string, unknown>>, ports: PlacedPorts): Promise<Placed> {
    if (this.lost !== undefined) throw new LinkBrokenError(this.lost);
    const packed = packParams(params, `${definition.name} on host ${hostIndex(this.host)}`);
    const request = ++this.requests;
    const label = (port: string): string => `host ${hostIndex(this.host)}: ${definition.name} (request ${request}) '${port}'`;
    const inputs = (ports.inputs ?? []).map((port) => ({ port, wire: this.wire(label(port), 'reader') }));
    const outputs = (ports.outputs ?? []).map((port) => ({ port, wire: this.wire(label(port), 'writer') }));
    const writers = new Map(inputs.map(({ port, wire }) => [port, new ThreadWriter(io, wire)]));
    const readers = new Map(outputs.map(({ port, wire }) => [port, new ThreadReader(io, wire, this.window, () => offerAgain(this.readers))]));
    for (const w of writers.values()) this.writers.push(w);
    const state = outputs.length === 0
      ? new Promise<WorkerReply>((resolve, reject) => this.sinkStates.set(request, { resolve, reject }))
      : undefined;
    state?.catch(() => undefined);
    const message: PlaceRequest = { kind: 'place', request, name: definition.name, params: packed, inputs, outputs, window: this.window };
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(request, { resolve, reject });
      this.worker.postMessage(message);
    });
    if (reply.kind !== 'placed') {
      const error = new Error(reply.kind === 'refused' ? reply.message : 'unexpected reply');
      error.name = reply.kind === 'refused' ? reply.name : error.name;
      for (const w of writers.values()) w.fail(error);
      throw error;
    }
    for (const r of readers.values()) {
      this.readers.add(r);
    }
    for (const [port, w] of writers) this.byAddress.set(fullAddress(this.host, reply.id, reply.ports[port]), w.process);
    return {
      id: reply.id,
      label: reply.label,
      address: (port) => {
        const n = reply.ports[port];
        if (n === undefined) throw new RangeError(`${reply.label}: no port ${port} was placed`);
        return fullAddress(this.host, reply.id, n);
      },
      input: (port) => {
        const w = writers.get(port);
        if (w === undefined) throw new RangeError(`${reply.label}: ${port} is not a placed input`);
        return w.process;
      },
      output: (port) => {
        const r = readers.get(port);
        if (r === undefined) throw new RangeError(`${reply.label}: ${port} is not a placed output`);
        // Reading starts once the caller has connected the stand-in's `out` (in this turn): then the first credit goes out.
        queueMicrotask(() => r.start());
        return r.process;
      },
      state: async () => {
        if (state === undefined) throw new RangeError(`${reply.label} has outputs; its state stays on its host`);
        return state.then((s) => decodeValues((s as Extract<WorkerReply, { kind: 'state' }>).state)[0] as Record<string, unknown>);
      },
    };
  }

  /**
   * Sends a request made by `build` (given its request number) and resolves
   * with the worker's reply; rejects if the host is lost first. For requests
   * other modules make (freezer/migrate.ts sends `adopt`).
   */
  async ask(build: (request: number) => WorkerRequest): Promise<WorkerReply> {
    if (this.lost !== undefined) throw new LinkBrokenError(this.lost);
    const message = build(++this.requests);
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(message.request, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  /**
   * A new connection to the worker, supervised like a placed process's: this
   * thread's writing end (`to-worker`) or reading end (`from-worker`) in `io`.
   * The wire is what the worker's end is made from.
   */
  connection(io: IO, label: string, direction: 'to-worker'): { wire: Wire; writer: ThreadWriter };
  connection(io: IO, label: string, direction: 'from-worker'): { wire: Wire; reader: ThreadReader };
  connection(io: IO, label: string, direction: 'to-worker' | 'from-worker'): { wire: Wire; writer?: ThreadWriter; reader?: ThreadReader } {
    if (direction === 'to-worker') {
      const wire = this.wire(label, 'reader');
      const writer = new ThreadWriter(io, wire);
      this.writers.push(writer);
      if (this.lost !== undefined) writer.fail(new LinkBrokenError(this.lost));
      return { wire, writer };
    }
    const wire = this.wire(label, 'writer');
    const reader = new ThreadReader(io, wire, this.window, () => offerAgain(this.readers));
    this.readers.add(reader);
    return { wire, reader };
  }

  /** Stops the worker; its connections that had not ended break. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private wire(label: string, workerRole: Attachment['role']): Wire {
    const wire = createWire(label, this.ringBytes);
    this.attachments.push({ ring: wire.ring, role: workerRole });
    return wire;
  }

  private received(m: WorkerReply): void {
    // A refusal answers the placement while it is pending, and afterwards a sink's state that cannot be sent back.
    const waiting = m.kind === 'state' || (m.kind === 'refused' && !this.pending.has(m.request)) ? this.sinkStates : this.pending;
    const p = waiting.get(m.request);
    if (p === undefined) return;
    waiting.delete(m.request);
    if (waiting === this.sinkStates && m.kind === 'refused') {
      const error = new Error(m.message);
      error.name = m.name;
      p.reject(error);
    } else {
      p.resolve(m);
    }
  }

  /**
   * Calls `f` with the reason once the host is lost (at once if it is already
   * lost); returns a function that stops the watch. Jobs that come and go
   * (transport/parallel-run.ts) watch through this, not with a listener each
   * on the worker.
   */
  whenLost(f: (detail: string) => void): () => void {
    if (this.lost !== undefined) {
      f(this.lost);
      return () => undefined;
    }
    this.lostWatchers.add(f);
    return () => this.lostWatchers.delete(f);
  }

  private gone(detail: string): void {
    this.lost = detail;
    for (const f of [...this.lostWatchers]) f(detail);
    this.lostWatchers.clear();
    const error = new LinkBrokenError(detail);
    for (const w of this.writers) w.fail(error);
    for (const p of [...this.pending.values(), ...this.sinkStates.values()]) p.reject(error);
    this.pending.clear();
    this.sinkStates.clear();
  }
}
