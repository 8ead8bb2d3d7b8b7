// TCP benchmark: an echo server built on the engine (server pattern, each
// connection moved to a relay with an echo pipeline) against a plain Node
// `net` echo server (`socket.pipe(socket)`). Each server runs in a process of
// its own; this process drives both the same way over 127.0.0.1 with plain
// `net` clients:
//
//   throughput   one connection writes 64 KiB chunks and reads the echo (MB/s)
//   accepts      connections opened 64 at a time, each echoing one byte before
//                it closes (connections per second)
//
// Rounds are interleaved (engine, node, node, engine, ...) rather than run back
// to back, so drift on a busy machine hits both alike; the table shows medians
// and their ratio. On Linux it also shows the CPU time each server process
// spent (user + system, from /proc), per MB and per connection: when the
// driver, not the server, is the bottleneck, that is the fairer comparison.
//
//   npm run bench:tcp
//   PUSHBACK_BENCH_MB=64 PUSHBACK_BENCH_CONNS=1000 PUSHBACK_BENCH_RUNS=3 npm run bench:tcp
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { IO } from '../engine/io.js';
import { tcpServer } from '../processes/tcp.js';
import '../processes/index.js';
import { markdownTable, median } from './table.js';

const MB = Number(process.env.PUSHBACK_BENCH_MB ?? 256);
const CONNS = Number(process.env.PUSHBACK_BENCH_CONNS ?? 4000);
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 5);
const CHUNK = 64 * 1024;
const IN_FLIGHT = 64;
const HOST = '127.0.0.1';

// ---------------------------------------------------------------- the servers (child processes)

async function serve(kind: string): Promise<void> {
  let port: number;
  if (kind === 'engine') {
    const server = await tcpServer(new IO(), { pipe: (c) => c }, { host: HOST, backlog: 1024 });
    port = server.port;
  } else {
    const server = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => server.listen({ port: 0, host: HOST, backlog: 1024 }, resolve));
    port = (server.address() as { port: number }).port;
  }
  process.stdout.write(`${port}\n`);
  // Runs until the driver closes our stdin.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

interface Server {
  child: ChildProcess;
  port: number;
}

function start(kind: string): Promise<Server> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (b: Buffer) => resolve({ child, port: Number(b.toString().trim()) }));
  });
}

/** CPU seconds (user + system) the process has used, or NaN where /proc is not there. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks: 100 per second on Linux
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------- the load

/** One connection: writes `total` bytes in 64 KiB writes and reads them all back. */
function throughput(port: number, total: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: HOST });
    const chunk = Buffer.alloc(CHUNK, 120);
    let sent = 0;
    let received = 0;
    s.on('error', reject);
    const pump = (): void => {
      while (sent < total) {
        sent += CHUNK;
        if (!s.write(chunk)) {
          s.once('drain', pump);
          return;
        }
      }
    };
    s.on('data', (b: Buffer) => {
      received += b.length;
      if (received >= total) {
        s.destroy();
        resolve();
      }
    });
    s.once('connect', pump);
  });
}

function once(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ port, host: HOST });
    s.on('error', reject);
    s.once('connect', () => s.write('x'));
    s.once('data', () => {
      s.destroy();
      resolve();
    });
  });
}

/** `count` connections, `IN_FLIGHT` at a time, each echoing one byte. */
async function accepts(port: number, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await once(port);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

// ---------------------------------------------------------------- the driver

type Kind = 'engine' | 'node';
type Measure = 'throughput' | 'accepts';

async function main(): Promise<void> {
  const servers: Record<Kind, Server> = { engine: await start('engine'), node: await start('node') };
  const total = MB * 1024 * 1024;
  const work: Record<Measure, (port: number) => Promise<void>> = {
    throughput: (port) => throughput(port, total),
    accepts: (port) => accepts(port, CONNS),
  };
  const seconds: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  // Round 0 warms both up and is not counted.
  for (let round = 0; round <= RUNS; round++) {
    const order: Kind[] = round % 2 === 0 ? ['engine', 'node'] : ['node', 'engine'];
    for (const measure of ['throughput', 'accepts'] as Measure[]) {
      for (const kind of order) {
        const { child, port } = servers[kind];
        const cpu0 = cpuSeconds(child.pid!);
        const t0 = performance.now();
        await work[measure](port);
        const dt = (performance.now() - t0) / 1000;
        const used = cpuSeconds(child.pid!) - cpu0;
        if (round === 0) continue;
        (seconds[`${measure} ${kind}`] ??= []).push(dt);
        (cpu[`${measure} ${kind}`] ??= []).push(used);
      }
    }
  }
  for (const { child } of Object.values(servers)) child.stdin!.end();

  const rate = (key: string, amount: number): number => amount / median(seconds[key]);
  const rows: string[][] = [];
  for (const [measure, amount, unit, per, perUnit] of [
    ['throughput', MB, 'MB/s, 64 KiB writes', MB, 'ms/MB'],
    ['accepts', CONNS, `connections/s, ${IN_FLIGHT} in flight`, CONNS, 'µs/connection'],
  ] as const) {
    const e = rate(`${measure} engine`, amount);
    const n = rate(`${measure} node`, amount);
    rows.push([`${measure} (${unit})`, e.toFixed(0), n.toFixed(0), (e / n).toFixed(2)]);
    const scale = perUnit === 'ms/MB' ? 1e3 : 1e6;
    const ce = (median(cpu[`${measure} engine`]) / per) * scale;
    const cn = (median(cpu[`${measure} node`]) / per) * scale;
    if (Number.isFinite(ce)) rows.push([`server CPU (${perUnit})`, ce.toFixed(2), cn.toFixed(2), (cn / ce).toFixed(2)]);
  }
  console.log(`TCP echo over ${HOST}, median of ${RUNS} interleaved rounds (${MB} MiB per throughput run, ${CONNS} connections per accept run), Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(markdownTable(['measure', 'engine', 'node net', 'engine / node (CPU: node / engine)'], rows));
}

if (process.argv[2] === 'serve') await serve(process.argv[3]);
else await main();
