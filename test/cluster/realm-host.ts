// A host in an OS process of its own with the realm "shop" bound to the
// cluster, for the networked realm tests. It says what it sees on stdout, one
// line per event, and runs until it is killed. Arguments: servers, hosts
// bucket, lostAfterMs, proclamations bucket, role.
//
//   owner     handles #price and #close (which retracts its $open), holds every
//             #hold signal without answering, answers #echo with its
//             arguments, and proclaims $open('owner'), $secret-plan(1) and
//             $values(...crossingValues()). Other hosts may raise #price,
//             #close and #echo, see $open and $values, and nothing else: its
//             rules are enforced here.
//   observer  prints "added <topic> <args>" and "removed <topic> <args>" for
//             every proclamation it sees in the realm (but $values, whose
//             arguments JSON does not print).
import { joinCluster } from '../../cluster/membership.js';
import { bindRealm } from '../../cluster/networked-realm.js';
import { Rest, World, egress, ingress, take, type Signal } from '../../realm/index.js';
import { crossingValues } from './realm-values.js';

const [servers, hostsBucket, lostAfterMs, bucket, role] = process.argv.slice(2);
const host = await joinCluster({ servers: servers!, bucket: hostsBucket, lostAfterMs: Number(lostAfterMs), name: role });
const world = new World({ onError: (f) => process.stdout.write(`error ${String(f.error)}\n`) });
const shop = world.child({ name: 'shop' });
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const text = (args: readonly unknown[]): string => args.map((a) => JSON.stringify(a)).join(' ');

if (role === 'owner') {
  const held: Signal[] = [];
  shop.on('price', (s) => `price of ${String(s.args[0])}`);
  shop.on('secret', () => 'the secret');
  shop.on('hold', (s) => {
    held.push(s);
    say(`holding ${String(s.args[0])}`);
  });
  let open = shop.proclaim('open', 'owner');
  shop.proclaim('secret-plan', 1);
  shop.proclaim('values', ...crossingValues());
  shop.on('echo', (s) => s.args);
  shop.on('close', () => {
    open.retract();
    return 'closed';
  });
  shop.on('reopen', () => {
    open = shop.proclaim('open', 'owner');
    return 'reopened';
  });
  world.run();
  const bound = await bindRealm(shop, host, {
    bucket,
    rules: [egress(take(['#price', Rest]), take(['#close']), take(['#reopen']), take(['#hold', Rest]), take(['#echo', Rest])), ingress(take(['$open', Rest]), take(['$values', Rest]))],
    onError: (e) => say(`error ${e.message}`),
  });
  await bound.flush();
} else {
  shop.subscribe(['$', Rest], (m) => {
    if (m.topic === 'cluster' || m.topic === 'values') return undefined;
    say(`added ${m.topic} ${text(m.args)}`);
    return () => say(`removed ${m.topic} ${text(m.args)}`);
  });
  world.run();
  const bound = await bindRealm(shop, host, { bucket, onError: (e) => say(`error ${e.message}`) });
  await bound.flush();
}
say(`ready ${host.index}`);
