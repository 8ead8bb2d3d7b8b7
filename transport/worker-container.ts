// The entry of a worker thread that is a host: its own IO container with its
// own host id and JIT. It runs processes it resolves by name from the registry,
// with parameters it checks itself (portable functions only, see
// transport/portable-params.ts), connected to the other thread through
// thread links. Start it with WorkerHost (transport/worker-host.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { hostId } from '../engine/address.js';
import { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { registry } from '../processes/registry.js';
import { pumpOnce } from '../processes/sources/from.js';
import { adopt, release, type AdoptedGroup } from './adopt.js';
import { MigrationRefusedError } from './migration-refused.js';
import { encodeValues } from './codec.js';
import { MissingDependenciesError } from './modules.js';
import { unpackParams } from './portable-params.js';
import { offerAgain, ThreadReader, ThreadWriter } from './thread-link.js';
import type { PlaceRequest, WorkerReply, WorkerRequest, WorkerStart } from './worker-messages.js';
import { runChunks } from './chunk-runner.js';
import type { ParallelRequest } from './parallel-messages.js';

const start = workerData as WorkerStart;
const io = new IO({ host: hostId(start.host) });
const readers = new Set<ThreadReader>();
/** Processes migrated here, by the number of the request that brought them: the other thread may ask for them back. */
const adopted = new Map<number, AdoptedGroup>();
const port = parentPort!;

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

function place(m: PlaceRequest): void {
  const manifest = registry.get(m.name);
  if (manifest === undefined) throw new RangeError(`host ${start.host}: no registered process named ${JSON.stringify(m.name)}`);
  const params = unpackParams(m.params, m.name, `${m.name} on host ${start.host}`);
  const p = new Process(io, manifest.definition, params);
  const mine: ThreadReader[] = [];
  for (const { port: name, wire } of m.inputs) {
    const reader = new ThreadReader(io, wire, m.window, () => offerAgain(readers));
    reader.process.connect('out', p, name);
    mine.push(reader);
  }
  for (const { port: name, wire } of m.outputs) {
    const writer = new ThreadWriter(io, wire);
    p.connect(name, writer.process, 'in');
  }
  const ports: Record<string, number> = {};
  for (const { port: name } of [...m.inputs, ...m.outputs]) ports[name] = p.portNumber(name);
  reply({ kind: 'placed', request: m.request, id: p.id, label: p.label, ports });
  for (const r of mine) {
    readers.add(r);
    r.start();
  }
  if (m.outputs.length === 0) {
    // A sink: its state is what it did; send it back once every input ended.
    void Promise.all(m.inputs.map((i) => p.whenEnded(i.port))).then(() => {
      let state: Uint8Array;
      try {
        state = encodeValues([{ ...p.state }]);
      } catch (e) {
        // A state the codec cannot carry stays here; the other thread hears why.
        const error = e instanceof Error ? e : new Error(String(e));
        reply({ kind: 'refused', request: m.request, name: error.name, message: `${p.label}: its state cannot be sent back: ${error.message}` });
        return;
      }
      reply({ kind: 'state', request: m.request, state });
    });
  }
  if (m.inputs.length === 0) void drive(p);
}

/** A source runs where it lives: pushed until it is done, waiting for credit when it is blocked. */
async function drive(source: Process): Promise<void> {
  for (;;) {
    const r = pumpOnce(source);
    if (r === 'done' || r === 'cancelled') return;
    if (r !== 'moved') await source.whenWritableAgain('out');
  }
}

function refuse(request: number, e: unknown): void {
  const error = e instanceof Error ? e : new Error(String(e));
  const missing = error instanceof MissingDependenciesError ? { missing: error.missing } : {};
  const problems = error instanceof MigrationRefusedError ? { problems: error.problems } : {};
  reply({ kind: 'refused', request, name: error.name, message: error.message, ...missing, ...problems });
}

port.on('message', (m: WorkerRequest | ParallelRequest) => {
  // A parallel chain's steps, run over chunks (transport/chunk-runner.ts); it answers through its rings.
  if (m.kind === 'parallel') {
    runChunks(io, start.host, m, start.root ?? process.cwd());
    return;
  }
  if (m.kind === 'adopt') {
    // Migrated processes (freezer/migrate.ts): checked, then thawed, in transport/adopt.ts.
    adopt(io, m, readers, start.root ?? process.cwd(), `host ${start.host}`).then(
      (group) => {
        adopted.set(m.request, group);
        reply({ kind: 'adopted', request: m.request, labels: group.processes.map((p) => p.label) });
      },
      (e: unknown) => refuse(m.request, e),
    );
    return;
  }
  if (m.kind === 'release') {
    // Migrated processes asked back (freezer/migrate.ts): frozen again in transport/adopt.ts.
    const group = adopted.get(m.adoption);
    if (group === undefined) {
      refuse(m.request, new RangeError(`host ${start.host}: no processes adopted by request ${m.adoption} are here`));
      return;
    }
    release(group, m, `host ${start.host}`).then(
      (released) => {
        adopted.delete(m.adoption);
        reply(released);
      },
      (e: unknown) => refuse(m.request, e),
    );
    return;
  }
  try {
    place(m);
  } catch (e) {
    refuse(m.request, e);
  }
});
