// A line of running processes, frozen and held where it stands while a host
// far away is asked to take it over (cluster/migrate-remote.ts): the step of
// migration mode that needs no transport.
//
//   upstream --in--> [a -> b -> c] --out--> downstream           running
//   upstream --in--> [hold in]   [a -> b -> c]   [hold out] --out--> downstream   held
//
// In one synchronous step (after an await, so no flow is in progress): the
// strict freeze of freezer/migrate.ts (freezeForMigration: the same refusals
// as for a worker thread, naming resource and process), then the upstream
// connection goes to a stand-in that admits nothing and the downstream
// connection to one that sends nothing. From then on the frozen processes
// cannot change, and the processes that stay are held exactly where they
// were: what upstream did not send is still upstream.
//
// Afterwards either `handOver` gives both connections to the transport's
// stand-ins (the far host took the line over), or `release` gives them back
// to the line, which runs on as if nothing had happened.
import { admitWith, chunk, define } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { joinRunOf } from '../engine/run.js';
import { freezeForMigration, type FrozenMigration } from './migrate.js';

/** Holds the upstream connection: admits nothing, so the writer upstream keeps what it would have sent (and hears "writable again" later). */
const holdIn = define('migrationHoldIn', { ports: ['in'], inputs: ['in'] })
  .admittance('>in', admitWith(() => 0))
  .flow('>in', chunk(() => 0));

/** Holds the downstream connection: sends nothing until it is handed on. */
const holdOut = define('migrationHoldOut', { ports: ['out'] });

/** A frozen line whose two outer connections are held. */
export interface HeldLine {
  /** The container the line runs in. */
  readonly io: IO;
  readonly frozen: FrozenMigration;
  /** The processes, in line order (indices into the list given). */
  readonly order: readonly number[];
  /** `map#3, scan#4`, for messages. */
  readonly names: string;
  /**
   * Gives the upstream connection to `input`'s port 'in' and the downstream
   * connection to `output`'s port 'out', removes the processes of the line,
   * and tells the writer upstream it may write again.
   */
  handOver(input: Process, output: Process): void;
  /** Gives the connections back to the line; the processes run on here. */
  release(): void;
}

/** Hands the connection on `port` of `p` to `to`'s `toPort` (a disconnect and a connect: a new record, carried by whatever `to` is). */
function rewire(p: Process, port: string, to: Process, toPort: string): void {
  const far = p.peer(port)!;
  p.disconnect(port);
  to.connect(toPort, far.process, far.port);
}

/** The frozen processes in line order; throws a RangeError for anything but one line from 'in' to 'out'. */
function lineOf(list: readonly Process[], frozen: FrozenMigration): number[] {
  const names = list.map((p) => p.label).join(', ');
  const notALine = (why: string): RangeError =>
    new RangeError(`cannot migrate ${names} to another machine: ${why}; only a line of processes, each reading 'in' and writing 'out', can go (nothing was moved)`);
  const ends = (input: boolean): string => frozen.boundary.filter((b) => b.input === input).map((b) => `${list[b.process]!.label} '${b.port}'`).join(', ') || 'none';
  const inputs = frozen.boundary.filter((b) => b.input);
  const outputs = frozen.boundary.filter((b) => !b.input);
  if (inputs.length !== 1 || inputs[0]!.port !== 'in') throw notALine(`${inputs.length} connection(s) come in from processes that stay (${ends(true)})`);
  if (outputs.length !== 1 || outputs[0]!.port !== 'out') throw notALine(`${outputs.length} connection(s) go out to processes that stay (${ends(false)})`);
  const next = new Map<number, number>();
  for (const link of frozen.links) {
    if (link.port !== 'out' || link.farPort !== 'in' || next.has(link.from)) throw notALine(`${list[link.from]!.label} '${link.port}' feeds ${list[link.to]!.label} '${link.farPort}'`);
    next.set(link.from, link.to);
  }
  const order = [inputs[0]!.process];
  for (let n = next.get(order[0]!); n !== undefined; n = next.get(n)) {
    if (order.includes(n)) throw notALine('its connections form a cycle');
    order.push(n);
  }
  if (order.length !== list.length || order[order.length - 1] !== outputs[0]!.process) throw notALine('they are not one connected line');
  return order;
}

/**
 * Freezes `list` strictly and holds it, synchronously: call it right after an
 * await. Throws MigrationRefusedError or a RangeError (not a line) with
 * nothing changed.
 */
export function holdLine(list: readonly Process[]): HeldLine {
  const frozen = freezeForMigration(list);
  const order = lineOf(list, frozen);
  const first = list[order[0]!]!;
  const last = list[order[order.length - 1]!]!;
  const io = first.io;
  const upstream = new Process(io, holdIn, {});
  const downstream = new Process(io, holdOut, {});
  // A run that aborts ends the holds too, as it would have ended the line.
  joinRunOf(upstream, first);
  joinRunOf(downstream, last);
  rewire(first, 'in', upstream, 'in');
  rewire(last, 'out', downstream, 'out');
  let settled = false;
  const settle = (): void => {
    if (settled) throw new Error(`migration of ${names}: the held line was already handed over or released`);
    settled = true;
  };
  const names = order.map((i) => list[i]!.label).join(', ');
  return {
    io,
    frozen,
    order,
    names,
    handOver(input, output) {
      settle();
      if (upstream.isConnected('in')) rewire(upstream, 'in', input, 'in');
      if (downstream.isConnected('out')) rewire(downstream, 'out', output, 'out');
      upstream.remove();
      downstream.remove();
      for (const p of list) p.remove();
      if (input.isConnected('in')) input.writableAgain('in');
    },
    release() {
      settle();
      if (upstream.isConnected('in')) rewire(upstream, 'in', first, 'in');
      if (downstream.isConnected('out')) rewire(downstream, 'out', last, 'out');
      upstream.remove();
      downstream.remove();
      // A writer upstream refused by the hold meanwhile may write again.
      if (first.isConnected('in')) first.writableAgain('in');
    },
  };
}
