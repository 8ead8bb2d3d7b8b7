// Cross-host ports benchmark: two hosts as two OS processes on this machine,
// talking through a NATS server with JetStream (PUSHBACK_CLUSTER, default
// nats://127.0.0.1:4222).
//
//   bytes    64 KiB chunks through a cross-host port (cluster/jetstream-link.ts)
//            against a hand-written JetStream pair moving the same chunks with
//            the same acknowledgement policy: every message published with a
//            PubAck awaited (256 in flight), pulled by a durable consumer and
//            acknowledged one by one. MB/s.
//   records  small records (strings of 8 to 100 bytes) through a cross-host
//            port against one JetStream message per record, same policy.
//            Records per second.
//
// Each case starts a fresh writer process and a fresh reader process on a fresh
// connection; the clock runs from the moment the writer is told to go (both
// ends connected and ready) until the reader reports the end. Within a round
// the four cases run in turn (the order rotates from round to round); each
// round yields the port's rate divided by the hand-written one's, and the table
// shows the median of those per-round ratios beside the median rates.
//
//   npm run bench:cluster
//   PUSHBACK_BENCH_MB=128 PUSHBACK_BENCH_RUNS=3 npm run bench:cluster
//   PUSHBACK_BENCH_PROFILE=DIR npm run bench:cluster   # a CPU profile of every writer and reader process in DIR
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { hostId } from '../engine/address.js';
import { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { each } from '../processes/sinks/each.js';
import { from, pump } from '../processes/sources/from.js';
import { connectToCluster } from '../cluster/connect.js';
import { deleteConnection, JetStreamReader, JetStreamWriter } from '../cluster/jetstream-link.js';
import { markdownTable, median } from './table.js';

const SERVERS = process.env.PUSHBACK_CLUSTER ?? 'nats://127.0.0.1:4222';
const MB = Number(process.env.PUSHBACK_BENCH_MB ?? 256);
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 5);
const PORT_RECORDS = Number(process.env.PUSHBACK_BENCH_RECORDS ?? 400_000);
// One message per record is slow: fewer records give the same rate in less time.
const RAW_RECORDS = Math.max(1, Math.floor(PORT_RECORDS / 10));
const VERBOSE = process.env.PUSHBACK_BENCH_VERBOSE === '1';
const CHUNK = 64 * 1024;
const PROFILE_DIR = process.env.PUSHBACK_BENCH_PROFILE;
const profileFlags = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
const IN_FLIGHT = 256;

type Case = 'port-bytes' | 'raw-bytes' | 'port-records' | 'raw-records';

/** The same records on every run: strings of 8 to 100 bytes. */
function smallRecords(n: number): string[] {
  let seed = 12345;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = `r${i}:`.padEnd(8 + (seed % 93), 'x');
  }
  return out;
}

function chunks(mb: number): Buffer[] {
  const chunk = Buffer.alloc(CHUNK, 97);
  return Array.from({ length: (mb * 1024 * 1024) / CHUNK }, () => chunk);
}

function waitForLine(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  return new Promise((resolve) => lines.once('line', () => (lines.close(), resolve())));
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------- the hosts (child processes)

async function writerHost(kind: Case, name: string, count: number): Promise<void> {
  const nc = await connectToCluster({ servers: SERVERS });
  const xs: unknown[] = kind.endsWith('bytes') ? chunks(count) : smallRecords(count);
  if (kind.startsWith('port')) {
    const io = new IO({ host: hostId(1) });
    const writer = await JetStreamWriter.open(io, nc, name);
    say('ready');
    await waitForLine();
    const source = new Process(io, from, { xs });
    source.connect('out', writer.process, 'in');
    while (pump(source) === 'blocked') await source.whenWritableAgain('out');
    await writer.finished;
  } else {
    const js = jetstream(nc);
    say('ready');
    await waitForLine();
    const encoder = new TextEncoder();
    let inFlight = 0;
    let wake: (() => void) | undefined;
    for (const x of xs) {
      const data = typeof x === 'string' ? encoder.encode(x) : (x as Uint8Array);
      while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
      inFlight++;
      js.publish(`bench.${name}`, data).then(
        () => {
          inFlight--;
          wake?.();
        },
        (error: unknown) => {
          // One message per record has no retry here: say so and stop, rather than leave the reader waiting.
          console.error(`raw writer: a publish failed: ${String(error)}`);
          process.exit(1);
        },
      );
    }
    while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  }
  say('sent');
  await nc.close();
}

async function readerHost(kind: Case, name: string, count: number): Promise<void> {
  const nc = await connectToCluster({ servers: SERVERS });
  let records = 0;
  let bytes = 0;
  if (kind.startsWith('port')) {
    const io = new IO({ host: hostId(2) });
    const reader = await JetStreamReader.open(io, nc, name, { onError: (e) => console.error('reader:', e) });
    const sink = new Process(io, each, {
      f: (x: unknown) => {
        records++;
        bytes += typeof x === 'string' ? x.length : (x as Uint8Array).length;
      },
    });
    // A sink is a side effect: pinned, or the container may collect it mid-stream
    // (nothing else refers to it), which leaves the reader with no downstream.
    io.pin(sink);
    reader.process.connect('out', sink, 'in');
    reader.start();
    say('ready');
    await sink.whenEnded('in');
  } else {
    const stream = `BENCH_${name}`;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`bench.${name}`], storage: StorageType.File });
    await jsm.consumers.add(stream, { durable_name: 'reader', ack_policy: AckPolicy.Explicit, max_ack_pending: 4 * IN_FLIGHT });
    const consumer = await jetstream(nc).consumers.get(stream, 'reader');
    const messages = await consumer.consume({ max_messages: IN_FLIGHT });
    const expected = kind.endsWith('bytes') ? (count * 1024 * 1024) / CHUNK : count;
    say('ready');
    for await (const m of messages) {
      records++;
      bytes += m.data.length;
      m.ack();
      if (records === expected) break;
    }
    await jsm.streams.delete(stream);
  }
  say(`done ${records} ${bytes}`);
  await nc.close();
}

// ---------------------------------------------------------------- the driver

interface Child {
  line(prefix: string): Promise<string>;
  send(line: string): void;
  exited: Promise<void>;
}

function child(args: string[]): Child {
  const p = spawn(process.execPath, [...profileFlags, fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiting: Array<() => void> = [];
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    for (const w of waiting.splice(0)) w();
  });
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  return {
    exited,
    // The only line a child is sent; ending stdin lets the child exit when it is done.
    send: (line) => void p.stdin.end(`${line}\n`),
    line(prefix) {
      return new Promise((resolve, reject) => {
        const look = (): void => {
          const found = out.split('\n').find((l) => l.startsWith(prefix));
          if (found !== undefined) resolve(found);
          else if (p.exitCode !== null) reject(new Error(`${args.join(' ')} exited before "${prefix}"`));
          else waiting.push(look);
        };
        void exited.then(() => waiting.push(look) && look());
        look();
      });
    },
  };
}

let runs = 0;

/** Runs one case with fresh processes; returns units (MB or records) per second. */
async function measure(kind: Case, admin: NatsConnection): Promise<number> {
  const name = `bench${process.pid}_${runs++}`;
  const count = kind.endsWith('bytes') ? MB : kind === 'port-records' ? PORT_RECORDS : RAW_RECORDS;
  const reader = child(['reader', kind, name, String(count)]);
  await reader.line('ready');
  const writer = child(['writer', kind, name, String(count)]);
  await writer.line('ready');
  if (VERBOSE) console.log(`  ${kind}: both ready`);
  const t0 = performance.now();
  writer.send('go');
  // A writer that fails ends the case instead of leaving the reader waiting.
  const failed = writer.exited.then(() => writer.line('sent')).then(() => new Promise<string>(() => undefined));
  const done = await Promise.race([reader.line('done '), failed]);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([reader.exited, writer.exited]);
  if (kind.startsWith('port')) await deleteConnection(admin, name);
  const [, records, bytes] = done.split(' ').map(Number);
  const expectedRecords = kind.endsWith('bytes') ? (MB * 1024 * 1024) / CHUNK : count;
  if (records !== expectedRecords) throw new Error(`${kind}: the reader saw ${records} records, not ${expectedRecords}`);
  return kind.endsWith('bytes') ? bytes! / (1024 * 1024) / seconds : records! / seconds;
}

async function main(): Promise<void> {
  const admin = await connectToCluster({ servers: SERVERS });
  console.log(`cross-host ports on ${SERVERS}: ${MB} MB in 64 KiB chunks, ${PORT_RECORDS} small records through the port (${RAW_RECORDS} one per message), ${RUNS} rounds`);
  const order: Case[] = ['port-bytes', 'raw-bytes', 'port-records', 'raw-records'];
  const rates = new Map<Case, number[]>(order.map((k) => [k, []]));
  const bytesRatios: number[] = [];
  const recordRatios: number[] = [];
  for (let round = 0; round < RUNS; round++) {
    const got = new Map<Case, number>();
    for (let i = 0; i < order.length; i++) {
      const kind = order[(i + round) % order.length]!;
      const rate = await measure(kind, admin);
      if (VERBOSE) console.log(`  ${kind}: ${rate.toFixed(1)}`);
      got.set(kind, rate);
      rates.get(kind)!.push(rate);
    }
    bytesRatios.push(got.get('port-bytes')! / got.get('raw-bytes')!);
    recordRatios.push(got.get('port-records')! / got.get('raw-records')!);
    console.log(`round ${round + 1}: bytes ${got.get('port-bytes')!.toFixed(0)} vs ${got.get('raw-bytes')!.toFixed(0)} MB/s; records ${(got.get('port-records')! / 1e3).toFixed(0)} k/s vs ${(got.get('raw-records')! / 1e3).toFixed(1)} k/s`);
  }
  await admin.close();
  const sorted = (xs: number[]): string => [...xs].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(' ');
  console.log(
    markdownTable(
      ['case', 'port (median)', 'hand-written JetStream (median)', 'median of per-round ratios', 'bar', 'per-round ratios'],
      [
        ['64 KiB chunks', `${median(rates.get('port-bytes')!).toFixed(0)} MB/s`, `${median(rates.get('raw-bytes')!).toFixed(0)} MB/s`, `${median(bytesRatios).toFixed(2)}×`, '≥ 0.8×', sorted(bytesRatios)],
        ['8–100 byte records', `${(median(rates.get('port-records')!) / 1e3).toFixed(0)} k/s`, `${(median(rates.get('raw-records')!) / 1e3).toFixed(1)} k/s (one message each)`, `${median(recordRatios).toFixed(1)}×`, '≥ 10×', sorted(recordRatios)],
      ],
    ),
  );
}

const [role, kind, name, count] = process.argv.slice(2);
if (role === 'writer') await writerHost(kind as Case, name!, Number(count));
else if (role === 'reader') await readerHost(kind as Case, name!, Number(count));
else await main();
