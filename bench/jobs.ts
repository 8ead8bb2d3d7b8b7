// `pushback -j 2` against `pushback -j 1` on the same 200 MB files: whole
// commands, start-up included, each a process of its own whose output is piped
// into `cat > /dev/null`. Each round runs -j1 and -j2 of a workload one after
// the other; the speed-up is taken per round (time of -j1 / time of -j2) and
// the table shows the medians, so that a machine busy for a while slows both
// sides of a ratio alike. The CPU time of each command (all its threads) shows
// what -j2 costs in work beside what it saves in time: on a machine whose
// cores are taken by other work, the second thread has no core to run on.
//
// Beside them, in the same rounds, the machine's own ceiling for the job at
// that moment: the file cut in two at a line start (as -j2 cuts it first) and
// two -j1 processes run side by side, one on each half, timed until both have
// ended. Each pays its own start and nothing is merged; what -j2 reaches
// against what this reaches says how much of the gap to 2× is -j's own.
//
// The data (a log and the same records as JSON lines) is generated in a
// temporary folder and deleted at the end.
//
//   npm run bench:jobs                       # 200 MB, 5 rounds
//   PUSHBACK_BENCH_MB=50 PUSHBACK_BENCH_RUNS=3 npm run bench:jobs
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cutIntoParts } from '../bin/file-parts.js';
import { writeSampleJsonLines, writeSampleLog } from './sample-files.js';
import { markdownTable, median } from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MB = Number(process.env.PUSHBACK_BENCH_MB ?? 200);
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 5);
const pushback = join(root, 'dist', 'bin', 'pushback.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'pushback-bench-jobs-'));
const logFile = join(scratch, 'sample.log');
const jsonFile = join(scratch, 'sample.jsonl');

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);

interface Measured {
  /** Wall time. */
  ms: number;
  /** User and system CPU time of the command, all its threads (from /usr/bin/time, when installed). */
  cpuMs?: number;
}

/** Runs a command with its output piped into `cat > /dev/null`; its wall time and CPU time. */
function run(argv: string[], times = join(scratch, 'times')): Promise<Measured> {
  const command = argv.map(q).join(' ');
  const timed = hasTime ? `${TIME} -f '%U %S' -o ${q(times)} ${command}` : command;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('sh', ['-c', `${timed} | cat > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`${command}: exit ${code}`));
        return;
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = hasTime ? readFileSync(times, 'utf8').trim().split('\n').pop()!.split(' ').map(Number) : [];
      resolve({ ms, cpuMs: cpu.length === 2 && cpu.every(Number.isFinite) ? (cpu[0] + cpu[1]) * 1000 : undefined });
    });
  });
}

/** Two commands side by side: the time until both have ended, and their CPU time together. */
async function pair(a: string[], b: string[]): Promise<Measured> {
  const started = process.hrtime.bigint();
  const [x, y] = await Promise.all([run(a, join(scratch, 'times-a')), run(b, join(scratch, 'times-b'))]);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuMs: x.cpuMs !== undefined && y.cpuMs !== undefined ? x.cpuMs + y.cpuMs : undefined };
}

/** The file cut in two at a line start, as two files of their own. */
function halves(path: string): [string, string] {
  const size = statSync(path).size;
  const [first, second] = cutIntoParts(path, size, 2);
  const buffer = Buffer.allocUnsafe(1 << 20);
  const input = openSync(path, 'r');
  try {
    return [first, second].map((part, k) => {
      const out = `${path}.half${k + 1}`;
      const fd = openSync(out, 'w');
      try {
        for (let at = part.start; at < part.end; ) {
          const n = readSync(input, buffer, 0, Math.min(buffer.length, part.end - at), at);
          writeSync(fd, buffer, 0, n);
          at += n;
        }
      } finally {
        closeSync(fd);
      }
      return out;
    }) as [string, string];
  } finally {
    closeSync(input);
  }
}

interface Workload {
  name: string;
  file: string;
  stages: string[];
}

const workloads: Workload[] = [
  { name: 'jsonl grep map', file: jsonFile, stages: ['jsonl', 'grep', 'POST', 'map', 'x => `${x.path} ${x.ms}`'] },
  { name: 'fields N sum', file: logFile, stages: ['grep', '-v', 'heartbeat', 'fields', '6', 'sum'] },
];

/** The bar of the issue: -j2 at least this many times the speed of -j1. */
const BAR = 1.7;

async function main(): Promise<void> {
  if (!existsSync(pushback)) throw new Error(`${pushback} is missing: run npm run build first`);
  const loadBefore = loadavg()[0];
  try {
    await writeSampleLog(logFile, MB * 1e6);
    await writeSampleJsonLines(jsonFile, MB * 1e6);
    const rows: string[][] = [];
    const bars: string[] = [];
    for (const w of workloads) {
      const [half1, half2] = halves(w.file);
      const one: number[] = [];
      const two: number[] = [];
      const both: number[] = [];
      const cpuOne: number[] = [];
      const cpuTwo: number[] = [];
      const cpuBoth: number[] = [];
      const ratios: number[] = [];
      const ceilings: number[] = [];
      // One warm-up round (file cache), then the measured rounds.
      for (let round = -1; round < RUNS; round++) {
        const a = await run([process.execPath, pushback, '-j1', w.file, ...w.stages]);
        const b = await run([process.execPath, pushback, '-j2', w.file, ...w.stages]);
        const c = await pair([process.execPath, pushback, '-j1', half1, ...w.stages], [process.execPath, pushback, '-j1', half2, ...w.stages]);
        if (round < 0) continue;
        one.push(a.ms);
        two.push(b.ms);
        both.push(c.ms);
        if (a.cpuMs !== undefined) cpuOne.push(a.cpuMs);
        if (b.cpuMs !== undefined) cpuTwo.push(b.cpuMs);
        if (c.cpuMs !== undefined) cpuBoth.push(c.cpuMs);
        ratios.push(a.ms / b.ms);
        ceilings.push(a.ms / c.ms);
      }
      rmSync(half1);
      rmSync(half2);
      const size = statSync(w.file).size / 1e6;
      const ratio = median(ratios);
      const ceiling = median(ceilings);
      const cpu = (xs: number[]): string => (xs.length > 0 ? `${median(xs).toFixed(0)} ms` : '?');
      const perRound = (xs: number[]): string => [...xs].sort((x, y) => x - y).map((x) => x.toFixed(2)).join(' ');
      rows.push([w.name, `pushback -j1 FILE ${w.stages.join(' ')}`, (size / (median(one) / 1000)).toFixed(0), `${median(one).toFixed(0)} ms`, cpu(cpuOne), '1.00', '']);
      rows.push([w.name, `pushback -j2 FILE ${w.stages.join(' ')}`, (size / (median(two) / 1000)).toFixed(0), `${median(two).toFixed(0)} ms`, cpu(cpuTwo), ratio.toFixed(2), perRound(ratios)]);
      rows.push([w.name, 'ceiling: two -j1 side by side, one on each half', (size / (median(both) / 1000)).toFixed(0), `${median(both).toFixed(0)} ms`, cpu(cpuBoth), ceiling.toFixed(2), perRound(ceilings)]);
      bars.push(`${w.name}: -j2 at ${ratio.toFixed(2)}× the speed of -j1 (bar: ≥ ${BAR.toFixed(2)}): ${ratio >= BAR ? 'met' : 'NOT met'}; the machine's ceiling in the same rounds: ${ceiling.toFixed(2)}×`);
    }
    console.log(`\n${(statSync(logFile).size / 1e6).toFixed(0)} MB log and ${(statSync(jsonFile).size / 1e6).toFixed(0)} MB of JSON lines, generated in ${tmpdir()};`);
    console.log(`whole commands including start-up, output piped into cat > /dev/null; medians of ${RUNS} rounds;`);
    console.log(`Node ${process.version}, ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} before and ${loadavg()[0].toFixed(2)} after, ${new Date().toISOString().slice(0, 10)}\n`);
    console.log(markdownTable(['workload', 'command', 'MB/s', 'median time', 'median CPU time', 'speed × -j1', 'per-round ratios'], rows));
    console.log('\nspeed × -j1: the median over rounds of (time of -j1 / time of -j2), and of (time of -j1 / time of the two halves side by side).');
    console.log('CPU time: user + system of the command, all its threads; -j2 can be twice as fast as -j1 only with two cores free for it.');
    for (const b of bars) console.log(b);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
