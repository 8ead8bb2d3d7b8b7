// TCP benchmark: echo servers built on the engine, both ways a server can be
// written, against a plain Node `net` echo server (`socket.pipe(socket)`):
//
//   pipe         `tcpServer(io, { pipe: (c) => c })`: the light path, each
//                connection an instance of the (empty) pipeline
//   pattern      `tcpServer(io, (p) => p.pipe((c) => c))`: the server pattern,
//                each connection moved to a dedicated port with the pipeline
//   lines        `tcpServer(io, { pipe: (c) => c.lines().map(upper).unlines() })`:
//                the light path with a pipeline that is not empty, against
//   node lines   a plain Node `net` server that does the same by hand (splits
//                lines, carrying a partial one over, and writes them upper-cased)
//
// Each server runs in a process of its own; this process drives all of them the
// same way over 127.0.0.1 with plain `net` clients:
//
//   throughput   one connection writes 64 KiB chunks and reads the echo (MB/s)
//   accepts      connections opened 64 at a time, each echoing one byte before
//                it closes (connections per second)
//   line accepts the same for the line servers, each connection sending one
//                line and reading its reply
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
//
// PUSHBACK_BENCH_MEASURES picks some of the measures (comma-separated:
// throughput, accepts, line accepts); only the servers they drive are started.
// To profile the servers, run the driver with Node's flags, which reach them:
//   node --cpu-prof --cpu-prof-dir=prof dist/bench/tcp.js
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { IO } from '../engine/io.js';
import type { Chain } from '../api/chain.js';
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
  } else if (kind === 'lines') {
    const upper = (line: string): string => line.toUpperCase();
    const server = await tcpServer(new IO(), { pipe: (c) => (c as Chain<number>).lines().map(upper).unlines() }, { host: HOST, backlog: 1024 });
    port = server.port;
  } else if (kind === 'node lines') {
    const server = createServer({ allowHalfOpen: true }, (s) => {
      const decoder = new StringDecoder('utf8');
      let carry = '';
      s.on('data', (b: Buffer) => {
        const text = carry + decoder.write(b);
        const last = text.lastIndexOf('\n');
        if (last === -1) {
          carry = text;
          return;
        }
        carry = text.slice(last + 1);
        const lines = text.slice(0, last).split('\n');
        s.write(`${lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line).toUpperCase()).join('\n')}\n`);
      });
      s.on('end', () => {
        const rest = carry + decoder.end();
        if (rest === '') s.end();
        else s.end(`${rest.toUpperCase()}\n`);
      });
    });
    await new Promise<void>((resolve) => server.listen({ port: 0, host: HOST, backlog: 1024 }, resolve));
    port = (server.address() as { port: number }).port;
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
  // Node's own flags (such as --cpu-prof) reach the servers too.
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'serve', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
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

/** One connection: sends `request` and closes once the reply's last byte has come. */
function once(port: number, request: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ port, host: HOST });
    let received = 0;
    s.on('error', reject);
    s.once('connect', () => s.write(request));
    s.on('data', (b: Buffer) => {
      received += b.length;
      if (received < request.length) return;
      s.destroy();
      resolve();
    });
  });
}

/** `count` connections, `IN_FLIGHT` at a time, each sending `request` (one byte, or one line) and reading its reply. */
async function accepts(port: number, count: number, request = 'x'): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await once(port, request);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

// ---------------------------------------------------------------- the driver

type Kind = 'pipe' | 'pattern' | 'node' | 'lines' | 'node lines';
const KINDS: Kind[] = ['pipe', 'pattern', 'node', 'lines', 'node lines'];
type Measure = 'throughput' | 'accepts' | 'line accepts';

/** Which servers each measure drives, the engine's first; the last is the Node server they are compared with. */
const ALL_DRIVES: Record<Measure, Kind[]> = {
  throughput: ['pipe', 'pattern', 'node'],
  accepts: ['pipe', 'pattern', 'node'],
  'line accepts': ['lines', 'node lines'],
};
const CHOSEN = process.env.PUSHBACK_BENCH_MEASURES?.split(',').map((m) => m.trim());
for (const m of CHOSEN ?? []) if (!(m in ALL_DRIVES)) throw new Error(`PUSHBACK_BENCH_MEASURES: no measure ${JSON.stringify(m)} (measures: ${Object.keys(ALL_DRIVES).join(', ')})`);
const DRIVES = Object.fromEntries(Object.entries(ALL_DRIVES).filter(([m]) => CHOSEN === undefined || CHOSEN.includes(m))) as Partial<Record<Measure, Kind[]>>;
/** The servers the chosen measures drive. */
const STARTED = KINDS.filter((kind) => Object.values(DRIVES).some((kinds) => kinds.includes(kind)));
const LINE = 'hello, world\n';

/** Every server, started afresh, each warmed up by a short run of the loads it is measured with. */
async function startAll(): Promise<Record<Kind, Server>> {
  const servers = {} as Record<Kind, Server>;
  for (const kind of STARTED) servers[kind] = await start(kind);
  for (const kind of STARTED) {
    const { port } = servers[kind];
    if (DRIVES.throughput?.includes(kind)) await throughput(port, WARM_MB * 1024 * 1024);
    if (DRIVES.accepts?.includes(kind)) await accepts(port, WARM_CONNS);
    if (DRIVES['line accepts']?.includes(kind)) await accepts(port, WARM_CONNS, LINE);
  }
  return servers;
}

async function main(): Promise<void> {
  const total = MB * 1024 * 1024;
  const work: Record<Measure, (port: number) => Promise<void>> = {
    throughput: (port) => throughput(port, total),
    accepts: (port) => accepts(port, CONNS),
    'line accepts': (port) => accepts(port, CONNS, LINE),
  };
  const seconds: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (let round = 0; round < RUNS; round++) {
    // Fresh server processes every round: on a shared machine one process of
    // either server can run markedly slower than the next for its whole life,
    // so a run with a single pair of processes would measure their luck.
    const servers = await startAll();
    for (const measure of Object.keys(DRIVES) as Measure[]) {
      const kinds = DRIVES[measure]!;
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
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
    ['line accepts', CONNS, `lines → upper → unlines, connections/s, ${IN_FLIGHT} in flight`, 'µs/connection'],
  ] as const) {
    const kinds = DRIVES[measure];
    if (kinds === undefined) continue;
    const node = kinds[kinds.length - 1];
    const engines = kinds.slice(0, -1);
    // Two engine columns ({ pipe }, server pattern); the line servers have only the first.
    const cell = (f: (kind: Kind) => string): string[] => [0, 1].map((k) => (k < engines.length ? f(engines[k]) : '–'));
    const tn = seconds[`${measure} ${node}`];
    const cn = cpu[`${measure} ${node}`];
    const scale = perUnit === 'ms/MB' ? 1e3 : 1e6;
    // A rate ratio within one round is the node server's time over the engine's.
    const ratio = (kind: Kind): number[] => seconds[`${measure} ${kind}`].map((t, i) => tn[i] / t);
    rows.push([`${measure} (${unit})`, ...cell((kind) => (amount / median(seconds[`${measure} ${kind}`])).toFixed(0)), (amount / median(tn)).toFixed(0), ...cell((kind) => median2(ratio(kind)))]);
    for (const kind of engines) spread.push(`${measure} ${kind}: ${ratio(kind).sort((a, b) => a - b).map((r) => r.toFixed(2)).join(' ')}`);
    const cpuRatio = (kind: Kind): number[] => cpu[`${measure} ${kind}`].map((c, i) => cn[i] / c);
    if (engines.every((kind) => Number.isFinite(median(cpuRatio(kind))))) {
      rows.push([`server CPU (${perUnit})`, ...cell((kind) => ((median(cpu[`${measure} ${kind}`]) / amount) * scale).toFixed(2)), ((median(cn) / amount) * scale).toFixed(2), ...cell((kind) => median2(cpuRatio(kind)))]);
    }
  }
  console.log(
    `TCP over ${HOST}: ${RUNS} rounds with fresh servers (${MB} MiB per throughput run, ${CONNS} connections per accept run); ` +
      `rates are medians, ratios medians of per-round ratios. Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  console.log(markdownTable(['measure', 'engine { pipe }', 'engine server pattern', 'node net', '{ pipe } / node', 'pattern / node'], rows));
  console.log(`\nThe line accepts row compares the { pipe } line server with a Node server doing the same by hand. CPU rows: node's CPU over the engine's (higher is better for the engine). Per-round ratios, sorted:\n${spread.join('\n')}`);
}

if (process.argv[2] === 'serve') await serve(process.argv[3]);
else await main();
