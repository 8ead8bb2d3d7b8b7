// npm run bench:cluster-realms: a signal and its reply across two hosts (two
// OS processes on this machine), through a realm bound to the cluster on both,
// next to a bare NATS request/reply between the same two processes on the same
// server. One request at a time; each round measures both (in alternating
// order) and reports p50 and p99 in microseconds; the ratio is of the p50s per
// round, and the table shows the median over rounds.
//
//   npx tsc -p tsconfig.json && node dist/bench/cluster-realms.js
//   PUSHBACK_CLUSTER=nats://127.0.0.1:4222 BENCH_ROUNDS=5 BENCH_REQUESTS=2000 node dist/bench/cluster-realms.js
//
// Needs a NATS server with JetStream (default nats://127.0.0.1:4222).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { joinCluster } from '../cluster/membership.js';
import { bindRealm } from '../cluster/networked-realm.js';
import { World } from '../realm/index.js';

const SERVERS = process.env.PUSHBACK_CLUSTER ?? 'nats://127.0.0.1:4222';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2_000);
const WARMUP = 300;
const HOSTS_BUCKET = 'pushback_bench_hosts';
const BUCKET = 'pushback_bench_proclamations';
const BARE_SUBJECT = 'pushback.bench.bare';
const REALM = 'bench';

const encoder = new TextEncoder();

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const median = (xs: readonly number[]): number => quantile(xs, 0.5);
const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

/** The answering host: the realm's #echo handler, and a bare responder on the same connection. */
async function serve(): Promise<void> {
  const host = await joinCluster({ servers: SERVERS, bucket: HOSTS_BUCKET, name: 'bench-answer' });
  const world = new World();
  const realm = world.child({ name: REALM });
  realm.on('echo', (s) => s.args[0]);
  const bound = await bindRealm(realm, host, { bucket: BUCKET });
  host.connection.subscribe(BARE_SUBJECT, { callback: (_error, msg) => void msg.respond(msg.data) });
  await bound.flush();
  process.stdout.write(`ready ${host.index}\n`);
  // Runs until the measuring process closes stdin.
  process.stdin.resume();
  process.stdin.on('end', () => void bound.unbind().then(() => host.leave()).then(() => process.exit(0)));
}

async function measure(): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.includes('ready ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the answering host exited (${code}) before it was ready`)));
  });
  const host = await joinCluster({ servers: SERVERS, bucket: HOSTS_BUCKET, name: 'bench-ask' });
  const world = new World();
  const realm = world.child({ name: REALM });
  const bound = await bindRealm(realm, host, { bucket: BUCKET });
  const asker = realm.child({ name: 'asker' });
  const payload = 'x'.repeat(16);
  const body = encoder.encode(JSON.stringify(payload));

  const realmOnce = async (): Promise<number> => {
    const t = performance.now();
    const reply = asker.signal('echo', payload);
    world.run();
    if ((await reply) !== payload) throw new Error('the realm signal came back wrong');
    return performance.now() - t;
  };
  const bareOnce = async (): Promise<number> => {
    const t = performance.now();
    await host.connection.request(BARE_SUBJECT, body, { timeout: 5_000 });
    return performance.now() - t;
  };
  const run = async (once: () => Promise<number>, n: number): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push((await once()) * 1000);
    return times;
  };

  await run(realmOnce, WARMUP);
  await run(bareOnce, WARMUP);
  const rows: { realm50: number; realm99: number; bare50: number; bare99: number; ratio: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let realmTimes: number[];
    let bareTimes: number[];
    if (round % 2 === 0) {
      realmTimes = await run(realmOnce, REQUESTS);
      bareTimes = await run(bareOnce, REQUESTS);
    } else {
      bareTimes = await run(bareOnce, REQUESTS);
      realmTimes = await run(realmOnce, REQUESTS);
    }
    const row = { realm50: median(realmTimes), realm99: quantile(realmTimes, 0.99), bare50: median(bareTimes), bare99: quantile(bareTimes, 0.99), ratio: 0 };
    row.ratio = row.realm50 / row.bare50;
    rows.push(row);
  }

  const pick = (f: (r: (typeof rows)[number]) => number): string => fmt(median(rows.map(f)));
  console.log(`signal and reply across two hosts (two processes), ${REQUESTS} requests one at a time, ${ROUNDS} rounds, server ${SERVERS}\n`);
  console.log('| path | p50 µs | p99 µs |');
  console.log('| --- | --- | --- |');
  console.log(`| bare NATS request/reply | ${pick((r) => r.bare50)} | ${pick((r) => r.bare99)} |`);
  console.log(`| realm signal (bound realm on both hosts) | ${pick((r) => r.realm50)} | ${pick((r) => r.realm99)} |`);
  console.log(`\nrealm p50 / bare p50, median of per-round ratios: ${pick((r) => r.ratio)}×`);

  await bound.unbind();
  await host.leave();
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
}

if (process.argv[2] === 'serve') await serve();
else await measure();
