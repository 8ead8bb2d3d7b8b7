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
import { registry } from '../../processes/registry.js';
import { drive as driveSources } from '../support/drive.js';
import { runAcrossHosts, type Hosts } from '../support/equivalence-across-hosts.js';
import { connectToCluster } from '../../cluster/connect.js';
import { JETSTREAM, JetStreamReader, JetStreamWriter, deleteConnection } from '../../cluster/jetstream-link.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const int = (r: () => number, n: number) => Math.floor(r() * n);

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
          const direct = await runAcrossHosts(name, c, oneContainer(), seed, drive);
          const across = await runAcrossHosts(name, c, acrossJetStream(natsA, natsB, r), seed, drive);
          expect(across, `${name}, seed ${seed}`).toEqual(direct);
        }
        cases++;
        await Promise.all(opened.splice(0).map((n) => deleteConnection(natsA, n)));
      });
    }
  }
});
