// What a TCP connection costs the engine itself, without the network: servers
// of both kinds are handed stand-in sockets (through the Node server's own
// 'connection' event), and each connection goes through what a short echo
// connection does (accepted, one byte in and echoed, the client's FIN, the
// close). No kernel, no client process: the CPU measured is the engine's and
// the stand-ins' alone, which a loaded machine disturbs far less than the rates
// of `npm run bench:tcp`.
//
//   server pattern  `tcpServer(io, (p) => p.pipe((c) => c))`
//   { pipe }        `tcpServer(io, { pipe: (c) => c })` (an empty pipeline: the stand-in's own cost, nearly)
//
// Connections overlap as they do under load: 64 are accepted per turn of the
// event loop, get their byte the turn after, and end and close the turn after
// that. Rounds alternate between the servers; the table shows medians of CPU
// µs per connection (user + system, of this process) and of the per-round
// difference, which is what the server pattern adds.
//
//   npm run build && node dist/bench/tcp-connections.js
//   PUSHBACK_BENCH_CONNS=20000 PUSHBACK_BENCH_RUNS=9 node dist/bench/tcp-connections.js
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { IO } from '../engine/io.js';
import { tcpServer, type TcpServer } from '../net/tcp.js';
import '../processes/index.js';
import { markdownTable, median } from './table.js';

const CONNS = Number(process.env.PUSHBACK_BENCH_CONNS ?? 30000);
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 7);
const PER_TURN = 64;

/** As much of a net.Socket as a server touches on a short connection. */
class StandInSocket extends EventEmitter {
  writableLength = 0;
  destroyed = false;
  writableEnded = false;
  remoteAddress = '127.0.0.1';
  remotePort = 0;
  written = 0;
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  write(chunk: Uint8Array): boolean {
    this.written += chunk.length;
    return true;
  }
  end(): this {
    this.writableEnded = true;
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
  resetAndDestroy(): this {
    this.destroyed = true;
    return this;
  }
}

const BYTE = Buffer.from('x');

/** `count` connections through `server`, three stages in flight; throws if one was not echoed and ended. */
async function connections(server: TcpServer, count: number): Promise<void> {
  let accepted: StandInSocket[] = [];
  let fed: StandInSocket[] = [];
  let ended: StandInSocket[] = [];
  for (let i = 0; i < count + 3 * PER_TURN; i += PER_TURN) {
    for (const k of ended) {
      k.destroyed = true;
      k.emit('close', false);
    }
    for (const k of fed) {
      k.emit('end');
      if (!k.writableEnded || k.written !== 1) throw new Error(`a connection was not echoed and ended (wrote ${k.written} bytes)`);
    }
    for (const k of accepted) k.emit('data', BYTE);
    ended = fed;
    fed = accepted;
    accepted = [];
    for (let j = 0; j < PER_TURN && i + j < count; j++) {
      const k = new StandInSocket();
      server.server.emit('connection', k as unknown as Socket);
      accepted.push(k);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main(): Promise<void> {
  const servers = {
    'server pattern': await tcpServer(new IO(), (p) => p.pipe((c) => c)),
    '{ pipe }': await tcpServer(new IO(), { pipe: (c) => c }),
  };
  const kinds = Object.keys(servers) as (keyof typeof servers)[];
  for (const kind of kinds) await connections(servers[kind], CONNS / 2); // warm-up
  const micros: Record<string, number[]> = {};
  for (let round = 0; round < RUNS; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
      const before = process.cpuUsage();
      await connections(servers[kind], CONNS);
      const used = process.cpuUsage(before);
      (micros[kind] ??= []).push((used.user + used.system) / CONNS);
    }
  }
  for (const kind of kinds) {
    if (servers[kind].sockets.size !== 0) throw new Error(`${kind}: ${servers[kind].sockets.size} connections left open`);
    await servers[kind].close();
  }
  const added = micros['server pattern'].map((m, i) => m - micros['{ pipe }'][i]);
  console.log(`Engine CPU per connection with stand-in sockets: ${RUNS} rounds of ${CONNS} connections, medians. Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(
    markdownTable(
      ['measure', 'server pattern', '{ pipe }', 'pattern − { pipe }'],
      [['CPU µs/connection', median(micros['server pattern']).toFixed(2), median(micros['{ pipe }']).toFixed(2), median(added).toFixed(2)]],
    ),
  );
  console.log(`\nPer-round differences, sorted: ${added.sort((a, b) => a - b).map((d) => d.toFixed(2)).join(' ')}`);
}

await main();
