// Every registered process's manifest cases with the process on host B and its
// sources and sinks on host A, every connection between them a cross-host port
// on JetStream (a private nats-server; both hosts are IO containers of this
// process with a NATS connection each), must give what the same topology gives
// in one container. The topology per case is the loopback suite's
// (test/transport/loopback.test.ts); only the connections differ. A case whose
// records the value codec refuses is counted and named, not hidden.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { hostId } from '../../engine/address.js';
import { IO } from '../../engine/io.js';
import { transportOf } from '../../engine/ports.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { Process } from '../../engine/process.js';
import type { Case } from '../../processes/manifest/manifest.js';
import { registry } from '../../processes/registry.js';
import { collect } from '../../processes/sinks/collect.js';
import { from } from '../../processes/sources/from.js';
import { drive as driveSources } from '../support/drive.js';
import { connectToCluster } from '../../cluster/connect.js';
import { JETSTREAM, JetStreamReader, JetStreamWriter, deleteConnection } from '../../cluster/jetstream-link.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const int = (r: () => number, n: number) => Math.floor(r() * n);

interface Hosts {
  a: IO;
  b: IO;
  connect(from: Process, fromPort: string, to: Process, toPort: string): Promise<void>;
}

function oneContainer(): Hosts {
  const io = new IO();
  return { a: io, b: io, connect: async (f, fp, t, tp) => void f.connect(fp, t, tp) };
}

let connections = 0;
const opened: string[] = [];

/** Host A and host B, each connection between them a JetStream connection of its own with a small window. */
function acrossJetStream(natsA: NatsConnection, natsB: NatsConnection, r: () => number): Hosts {
  const a = new IO({ host: hostId(1) });
  const b = new IO({ host: hostId(2) });
  const nats = (io: IO): NatsConnection => (io === a ? natsA : natsB);
  return {
    a, b,
    connect: async (f, fp, t, tp) => {
      const name = `p${connections++}`;
      opened.push(name);
      const writer = await JetStreamWriter.open(f.io, nats(f.io), name, { windowRecords: 1 + int(r, 60), maxMessageBytes: 512 + int(r, 4000) });
      const reader = await JetStreamReader.open(t.io, nats(t.io), name, { windowMessages: 1 + int(r, 8) });
      reader.process.connect('out', t, tp);
      reader.start();
      f.connect(fp, writer.process, 'in');
      expect(transportOf(f, fp)).toBe(JETSTREAM);
    },
  };
}

/** When every source is blocked, waits until one of them may write again (an acknowledgement freed its window). */
const drive = (sources: Process[]): Promise<void> =>
  driveSources(sources, (blocked) => Promise.race(blocked.map((s) => s.whenWritableAgain('out'))));

const ended = (sink: Process, port = 'in'): Promise<void> => sink.whenEnded(port);

async function run(name: string, c: Case<Record<string, unknown>>, hosts: Hosts, seed: number): Promise<unknown> {
  const r = mulberry32(seed);
  const def = registry.get(name)!.definition;
  const seen: unknown[] = [];
  const given = { ...c.params(r) };
  const xs = c.input ? c.input(r) : Array.from({ length: int(r, 300) }, () => int(r, 1000));
  // A sink's callbacks also record what they are called with, so what a sink did is compared too.
  if (c.harness === 'sink') {
    for (const key of Object.keys(def.callbacks)) {
      const f = given[key] as (...args: unknown[]) => unknown;
      given[key] = (...args: unknown[]) => { seen.push(args.length === 1 ? args[0] : args); return f(...args); };
    }
  }
  const { a, b, connect } = hosts;
  if (name === 'from' || name === 'fromArrays') {
    const cuts = [int(r, xs.length + 1), int(r, xs.length + 1)].sort((p, q) => p - q);
    const s = new Process(a, def, name === 'from' ? { xs } : { arrays: [xs.slice(0, cuts[0]), xs.slice(cuts[0], cuts[1]), xs.slice(cuts[1])] });
    const sink = new Process(b, collect);
    await connect(s, 'out', sink, 'in');
    await Promise.all([drive([s]), ended(sink)]);
    // Taking turns over the arrays follows how much each turn admits, which credit changes: compare the elements.
    return name === 'from' ? sink.state.items : (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const p = new Process(b, def, given);
  const ports = def.ports;
  if (ports.includes('left')) {
    // zip: both sides from host A, the pairs back to host A.
    const other = xs.slice(int(r, xs.length + 1)).map((x) => Number(x) + 1);
    const sources = [xs, other].map((data) => new Process(a, from, { xs: data }));
    await connect(sources[0], 'out', p, 'left');
    await connect(sources[1], 'out', p, 'right');
    const sink = new Process(a, collect);
    await connect(p, 'out', sink, 'in');
    await Promise.all([drive(sources), ended(sink)]);
    return sink.state.items;
  }
  if (def.range === 'in') {
    // union: several sources on host A into its members; what comes out is what went in, in some interleaving.
    const parts = [xs.filter((_, i) => i % 3 === 0), xs.filter((_, i) => i % 3 === 1), xs.filter((_, i) => i % 3 === 2)];
    const sources = parts.map((data) => new Process(a, from, { xs: data }));
    for (const [i, s] of sources.entries()) await connect(s, 'out', p, `in[${i}]`);
    const sink = new Process(a, collect);
    await connect(p, 'out', sink, 'in');
    await Promise.all([drive(sources), ended(sink)]);
    return (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const s = new Process(a, from, { xs });
  await connect(s, 'out', p, 'in');
  if (def.range === 'out') {
    // copy, router: every member back to host A.
    const members = c.members?.(given) ?? (given.members as number | undefined) ?? 1 + int(r, 3);
    const sinks: Process[] = [];
    for (let i = 0; i < members; i++) {
      const sink = new Process(a, collect);
      await connect(p, `out[${i}]`, sink, 'in');
      sinks.push(sink);
    }
    await Promise.all([drive([s]), ...sinks.map((k) => ended(k))]);
    return sinks.map((k) => k.state.items);
  }
  if (!ports.includes('out')) {
    // A sink on host B: what it holds at the end.
    await Promise.all([drive([s]), ended(p)]);
    return { state: { ...p.state }, seen };
  }
  const sink = new Process(a, collect);
  await connect(p, 'out', sink, 'in');
  await Promise.all([drive([s]), ended(sink)]);
  return sink.state.items;
}

describeNats('every registered process across cross-host ports on JetStream', () => {
  let server: PrivateServer;
  let natsA: NatsConnection;
  let natsB: NatsConnection;
  let cases = 0;
  beforeAll(async () => {
    server = await startServer();
    natsA = await connectToCluster({ servers: server.url });
    natsB = await connectToCluster({ servers: server.url });
  });
  afterAll(async () => {
    console.log(`[nats] ${cases} manifest cases of ${registry.size} registered processes ran across JetStream connections`);
    await natsA?.close();
    await natsB?.close();
    await server?.stop();
  });

  for (const [name, manifest] of registry) {
    for (const c of manifest.cases) {
      it(`${name}${c.label ? ` (${c.label})` : ''}: across JetStream, as in one container`, async () => {
        for (let seed = 1; seed <= 2; seed++) {
          const r = mulberry32(seed * 7919);
          const direct = await run(name, c, oneContainer(), seed);
          const across = await run(name, c, acrossJetStream(natsA, natsB, r), seed);
          expect(across, `${name}, seed ${seed}`).toEqual(direct);
        }
        cases++;
        await Promise.all(opened.splice(0).map((n) => deleteConnection(natsA, n)));
      });
    }
  }
});
