// A host in an OS process of its own, for the tests that kill one with -9:
// joins the cluster, answers calc.add, says "ready <index>" on stdout, and runs
// until it is killed. Arguments: servers, bucket, lostAfterMs.
import { joinCluster } from '../../cluster/membership.js';
import { RemoteSignals } from '../../cluster/signals.js';

const [servers, bucket, lostAfterMs] = process.argv.slice(2);
const host = await joinCluster({ servers: servers!, bucket, lostAfterMs: Number(lostAfterMs), name: 'child' });
new RemoteSignals(host.connection).handle('calc', 'add', (a, b) => (a as number) + (b as number));
await host.connection.flush(); // the handler's subscription has reached the server
process.stdout.write(`ready ${host.index}\n`);
