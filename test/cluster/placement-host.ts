// A host in an OS process of its own that other hosts place chains on
// (chain.on(host)), for test/cluster/placement.test.ts. Its IO joins the
// cluster, which starts its placement service; it prints "ready <index>" and
// runs until it is killed, or until a line "leave" on stdin, after which it
// closes its IO (leaving the cluster), prints "left" and exits.
//
//   placement-host.ts options <servers> <bucket> <lostAfterMs> <name>
//     joins through new IO({ cluster: { ... } })
//   placement-host.ts environment
//     joins through PUSHBACK_CLUSTER (new IO() with no cluster option)
//
//   placement-host.ts place <servers> <bucket> <lostAfterMs> <far index>
//     joins as "asking", places a slow map of 20,000 elements on the far host,
//     prints "arrived" at the first result and goes on reading (to be killed)
import { createInterface } from 'node:readline';
import { IO } from '../../api/io.js';

const [mode, ...args] = process.argv.slice(2);
let io: IO;
if (mode === 'options') {
  const [servers, bucket, lostAfterMs, name] = args;
  io = new IO({ cluster: { servers: servers!, bucket, lostAfterMs: Number(lostAfterMs), name } });
} else if (mode === 'environment') {
  io = new IO();
} else if (mode === 'place') {
  const [servers, bucket, lostAfterMs, farIndex] = args;
  io = new IO({ cluster: { servers: servers!, bucket, lostAfterMs: Number(lostAfterMs), name: 'asking' } });
  const slow = (x: number): number => {
    const until = Date.now() + 1;
    while (Date.now() < until);
    return x;
  };
  let told = false;
  const xs = Array.from({ length: 20_000 }, (_, i) => i);
  for await (const x of io.from(xs).on(io.remoteHost(Number(farIndex)), { chunk: 100 }).map(slow)) {
    if (!told) process.stdout.write(`arrived ${String(x)}\n`);
    told = true;
  }
  process.exit(0);
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
