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
// Each round starts both servers afresh and warms them up; within a round the
// two are measured in turn (engine first in one round, node first in the next),
// so drift on a busy machine hits both alike. Each round yields a ratio of the
// two servers' rates; the table shows the median of those per-round ratios
// beside the median rates (single rounds vary by 2× on a busy machine, so only
// a ratio taken within a round means much), and the sorted per-round ratios. On
// Linux it also shows the CPU time each server process spent (user + system,
// from /proc), per MB and per connection: when the driver, not the server, is
// the bottleneck, that is the fairer comparison.
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
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 15);
const CHUNK = 64 * 1024;
const IN_FLIGHT = 64;
// Warm-up per fresh server: enough for the hot paths to be compiled.
const WARM_MB = 64;
const WARM_CONNS = 4000;
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

/** Both servers, started afresh, each warmed up by a short run of both loads. */
async function startBoth(): Promise<Record<Kind, Server>> {
  const servers: Record<Kind, Server> = { engine: await start('engine'), node: await start('node') };
  for (const { port } of Object.values(servers)) {
    await throughput(port, WARM_MB * 1024 * 1024);
    await accepts(port, WARM_CONNS);
  }
  return servers;
}

async function main(): Promise<void> {
  const total = MB * 1024 * 1024;
  const work: Record<Measure, (port: number) => Promise<void>> = {
    throughput: (port) => throughput(port, total),
    accepts: (port) => accepts(port, CONNS),
  };
  const seconds: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < RUNS; round++) {
    // Fresh server processes every round: on a shared machine one process of
    // either server can run markedly slower than the next for its whole life,
    // so a run with a single pair of processes would measure their luck.
    const servers = await startBoth();
    const order: Kind[] = round % 2 === 0 ? ['engine', 'node'] : ['node', 'engine'];
    for (const measure of ['throughput', 'accepts'] as Measure[]) {
      for (const kind of order) {
        const { child, port } = servers[kind];
        const cpu0 = cpuSeconds(child.pid!);
        const t0 = performance.now();
        await work[measure](port);
        const dt = (performance.now() - t0) / 1000;
        const used = cpuSeconds(child.pid!) - cpu0;
        (seconds[`${measure} ${kind}`] ??= []).push(dt);
        (cpu[`${measure} ${kind}`] ??= []).push(used);
      }
    }
    for (const { child } of Object.values(servers)) child.stdin!.end();
  }

  const rows: string[][] = [];
  const spread: string[] = [];
  for (const [measure, amount, unit, perUnit] of [
    ['throughput', MB, 'MB/s, 64 KiB writes', 'ms/MB'],
    ['accepts', CONNS, `connections/s, ${IN_FLIGHT} in flight`, 'µs/connection'],
  ] as const) {
    const te = seconds[`${measure} engine`];
    const tn = seconds[`${measure} node`];
    // A rate ratio within one round is the node server's time over the engine's.
    const ratios = te.map((t, i) => tn[i] / t);
    const ratio = median(ratios);
    spread.push(`${measure}: ${[...ratios].sort((a, b) => a - b).map((r) => r.toFixed(2)).join(' ')}`);
    rows.push([`${measure} (${unit})`, (amount / median(te)).toFixed(0), (amount / median(tn)).toFixed(0), ratio.toFixed(2)]);
    const scale = perUnit === 'ms/MB' ? 1e3 : 1e6;
    const ce = cpu[`${measure} engine`];
    const cn = cpu[`${measure} node`];
    const cpuRatio = median(ce.map((c, i) => cn[i] / c));
    if (Number.isFinite(cpuRatio)) {
      rows.push([`server CPU (${perUnit})`, ((median(ce) / amount) * scale).toFixed(2), ((median(cn) / amount) * scale).toFixed(2), cpuRatio.toFixed(2)]);
    }
  }
  console.log(
    `TCP echo over ${HOST}: ${RUNS} rounds with fresh servers (${MB} MiB per throughput run, ${CONNS} connections per accept run); ` +
      `rates are medians, ratios medians of per-round ratios. Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  console.log(markdownTable(['measure', 'engine', 'node net', 'engine / node (CPU: node / engine)'], rows));
  console.log(`\nPer-round ratios, sorted (${spread.join('; ')})`);
}

if (process.argv[2] === 'serve') await serve(process.argv[3]);
else await main();
