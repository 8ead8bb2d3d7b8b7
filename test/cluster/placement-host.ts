// A host in an OS process of its own that other hosts place chains on
// (chain.on(host)), for test/cluster/placement.test.ts. Its IO joins the
// cluster, which starts its placement service; it prints "ready <index>" and
// runs until it is killed, or until a line "leave" on stdin, after which it
// closes its IO (leaving the cluster), prints "left" and exits.
//
//   placement-host.ts options <servers> <bucket> <lostAfterMs> <name>
//     joins through new IO({ cluster: { ... } })
//   placement-host.ts environment <name>
//     joins through PUSHBACK_CLUSTER (new IO() with no cluster option)
import { createInterface } from 'node:readline';
import { IO } from '../../api/io.js';

const [mode, ...args] = process.argv.slice(2);
let io: IO;
if (mode === 'options') {
  const [servers, bucket, lostAfterMs, name] = args;
  io = new IO({ cluster: { servers: servers!, bucket, lostAfterMs: Number(lostAfterMs), name } });
} else if (mode === 'environment') {
  io = new IO();
} else {
  throw new Error(`placement-host: unknown mode ${mode}`);
}
const host = await io.cluster();
process.stdout.write(`ready ${host.index} ${host.record.name}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line !== 'leave') return;
  lines.close();
  void io.close().then(() => {
    process.stdout.write('left\n');
    process.exit(0);
  });
});
