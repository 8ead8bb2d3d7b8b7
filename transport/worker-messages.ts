// What the thread that starts a worker host and the worker say to each other
// through postMessage. Only the setting up of work goes this way (which
// process, its parameters, its connections); the data of a connection goes
// through its ring (transport/thread-link.ts).
import type { AdoptRequest, Released, ReleaseRequest } from './adopt.js';
import type { MigrationProblem } from './migration-refused.js';
import type { PackedParams } from './portable-params.js';
import type { Wire } from './thread-link.js';

export type { AdoptRequest, ReleaseRequest } from './adopt.js';

/** One port of the placed process and the wire that connects it to the other thread. */
export interface PortWire {
  readonly port: string;
  readonly wire: Wire;
}

/** Run the registered process `name` with these parameters, its ports connected by these wires. */
export interface PlaceRequest {
  readonly kind: 'place';
  readonly request: number;
  readonly name: string;
  readonly params: PackedParams;
  /** Ports the process reads: a reader stand-in on the worker feeds each. */
  readonly inputs: readonly PortWire[];
  /** Ports the process writes: each goes into a writer stand-in on the worker. */
  readonly outputs: readonly PortWire[];
  /** The credit each reader on the worker grants, in elements. */
  readonly window: number;
}

/** What the thread that started the worker asks of it. */
export type WorkerRequest = PlaceRequest | AdoptRequest | ReleaseRequest;

export type WorkerReply =
  | { readonly kind: 'placed'; readonly request: number; readonly id: number; readonly label: string; readonly ports: Readonly<Record<string, number>> }
  /** Migrated processes were thawed and connected: their labels on the worker, in the order sent. */
  | { readonly kind: 'adopted'; readonly request: number; readonly labels: readonly string[] }
  /** Migrated processes given back (a release): their state and what their connections still carried. */
  | Released
  /** `missing`: a refused dependency check's list, every item this host lacks; `problems`: a refused release's, every state that cannot go. */
  | { readonly kind: 'refused'; readonly request: number; readonly name: string; readonly message: string; readonly missing?: readonly string[]; readonly problems?: readonly MigrationProblem[] }
  /** A placed process with no outputs (a sink) saw every input end: its state, through the value codec. */
  | { readonly kind: 'state'; readonly request: number; readonly state: Uint8Array };

/** What the worker is started with (workerData). */
export interface WorkerStart {
  /** The worker container's host index (engine/address.ts hostId). */
  readonly host: number;
  /** The folder module references are resolved from (default: the worker's working directory). */
  readonly root?: string;
}
