// The README's two-terminal example of a cross-host port (docs/cluster.md):
// host B reads connection "orders" into a map and prints what comes; host A
// writes 1, 2, 3 to it. Each runs in its own process, with a NATS server with
// JetStream at PUSHBACK_CLUSTER (default nats://127.0.0.1:4222):
//
//   node dist/examples/cluster-orders.js read     # terminal 1
//   node dist/examples/cluster-orders.js write    # terminal 2
//
// test/cluster/readme-example.test.ts runs both against a private server.
import { IO, Process, map, from, processes, pump, readFromCluster, writeToCluster } from '../index.js';

const servers = process.env.PUSHBACK_CLUSTER ?? 'nats://127.0.0.1:4222';
const connection = process.argv[3] ?? 'orders';

if (process.argv[2] === 'read') {
  const b = new IO();
  const double = new Process(b, map, { f: (x: number) => x * 2 });
  const print = new Process(b, processes.each, { f: (x: number) => console.log(x) });
  double.connect('out', print, 'in');
  const input = await readFromCluster(b, connection, double, 'in', { servers });
  await print.whenEnded('in');
  console.log('end:', print.endReason('in')?.reason);
  await input.close();
} else if (process.argv[2] === 'write') {
  const a = new IO();
  const source = new Process(a, from, { xs: [1, 2, 3] });
  const output = await writeToCluster(source, 'out', connection, { servers });
  while (pump(source) === 'blocked') await source.whenWritableAgain('out');
  await output.end.finished;
  console.log('written');
  await output.close();
} else {
  console.error('usage: cluster-orders.js read|write [CONNECTION]');
  process.exitCode = 2;
}
