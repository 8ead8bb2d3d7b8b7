// TCP benchmark: echo servers built on the engine, both ways a server can be
// written, against a plain Node `net` echo server (`socket.pipe(socket)`):
//
//   pipe         `tcpServer(io, { pipe: (c) => c })`: the light path, each
//                connection an instance of the (empty) pipeline
//   pattern      `tcpServer(io, (p) => p.pipe((c) => c))`: the server pattern,
//                each connection moved to a dedicated port with the pipeline
//
// Each server runs in a process of its own; this process drives all of them the
// same way over 127.0.0.1 with plain `net` clients:
//
//   throughput   one connection writes 64 KiB chunks and reads the echo (MB/s)
//   accepts      connections opened 64 at a time, each echoing one byte before
//                it closes (connections per second)
//
// Each round starts every server afresh and warms it up; within a round they
// are measured in turn (the order rotates from round to round), so drift on a
// busy machine hits all alike. Each round yields a ratio of each engine
// server's rate to node's; the table shows the median of those per-round ratios
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
import { tcpServer } from '../net/tcp.js';
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
  if (kind === 'pipe') {
    const server = await tcpServer(new IO(), { pipe: (c) => c }, { host: HOST, backlog: 1024 });
    port = server.port;
  } else if (kind === 'pattern') {
    const server = await tcpServer(new IO(), (p) => p.pipe((c) => c), { host: HOST, backlog: 1024 });
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

type Kind = 'pipe' | 'pattern' | 'node';
const KINDS: Kind[] = ['pipe', 'pattern', 'node'];
const ENGINES = ['pipe', 'pattern'] as const;
type Measure = 'throughput' | 'accepts';

/** Every server, started afresh, each warmed up by a short run of both loads. */
async function startAll(): Promise<Record<Kind, Server>> {
  const servers: Record<Kind, Server> = { pipe: await start('pipe'), pattern: await start('pattern'), node: await start('node') };
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
    const servers = await startAll();
    const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length]);
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
  const median2 = (xs: number[]): string => median(xs).toFixed(2);
  for (const [measure, amount, unit, perUnit] of [
    ['throughput', MB, 'MB/s, 64 KiB writes', 'ms/MB'],
    ['accepts', CONNS, `connections/s, ${IN_FLIGHT} in flight`, 'µs/connection'],
  ] as const) {
    const tn = seconds[`${measure} node`];
    const cn = cpu[`${measure} node`];
    const scale = perUnit === 'ms/MB' ? 1e3 : 1e6;
    // A rate ratio within one round is the node server's time over the engine's.
    const ratios = ENGINES.map((kind) => seconds[`${measure} ${kind}`].map((t, i) => tn[i] / t));
    rows.push([`${measure} (${unit})`, ...ENGINES.map((kind) => (amount / median(seconds[`${measure} ${kind}`])).toFixed(0)), (amount / median(tn)).toFixed(0), ...ratios.map(median2)]);
    ENGINES.forEach((kind, k) => spread.push(`${measure} ${kind}: ${[...ratios[k]].sort((a, b) => a - b).map((r) => r.toFixed(2)).join(' ')}`));
    const cpuRatios = ENGINES.map((kind) => cpu[`${measure} ${kind}`].map((c, i) => cn[i] / c));
    if (cpuRatios.every((r) => Number.isFinite(median(r)))) {
      rows.push([`server CPU (${perUnit})`, ...ENGINES.map((kind) => ((median(cpu[`${measure} ${kind}`]) / amount) * scale).toFixed(2)), ((median(cn) / amount) * scale).toFixed(2), ...cpuRatios.map(median2)]);
    }
  }
  console.log(
    `TCP echo over ${HOST}: ${RUNS} rounds with fresh servers (${MB} MiB per throughput run, ${CONNS} connections per accept run); ` +
      `rates are medians, ratios medians of per-round ratios. Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  console.log(markdownTable(['measure', 'engine { pipe }', 'engine server pattern', 'node net', '{ pipe } / node', 'pattern / node'], rows));
  console.log(`\nCPU rows: node's CPU over the engine's (higher is better for the engine). Per-round ratios, sorted:\n${spread.join('\n')}`);
}

if (process.argv[2] === 'serve') await serve(process.argv[3]);
else await main();
