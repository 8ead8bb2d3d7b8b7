// `pushback -j 2` against `pushback -j 1` on the same 200 MB files: whole
// commands, start-up included, each a process of its own whose output is piped
// into `cat > /dev/null`. Each round runs -j1 and -j2 of a workload one after
// the other; the speed-up is taken per round (time of -j1 / time of -j2) and
// the table shows the medians, so that a machine busy for a while slows both
// sides of a ratio alike. The CPU time of each command (all its threads) shows
// what -j2 costs in work beside what it saves in time: on a machine whose
// cores are taken by other work, the second thread has no core to run on. The data (a log and the same records as JSON lines)
// is generated in a temporary folder and deleted at the end.
//
//   npm run bench:jobs                       # 200 MB, 5 rounds
//   PUSHBACK_BENCH_MB=50 PUSHBACK_BENCH_RUNS=3 npm run bench:jobs
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
function run(argv: string[]): Promise<Measured> {
  const command = argv.map(q).join(' ');
  const times = join(scratch, 'times');
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
      const one: number[] = [];
      const two: number[] = [];
      const cpuOne: number[] = [];
      const cpuTwo: number[] = [];
      const ratios: number[] = [];
      // One warm-up round (file cache), then the measured rounds.
      for (let round = -1; round < RUNS; round++) {
        const a = await run([process.execPath, pushback, '-j1', w.file, ...w.stages]);
        const b = await run([process.execPath, pushback, '-j2', w.file, ...w.stages]);
        if (round < 0) continue;
        one.push(a.ms);
        two.push(b.ms);
        if (a.cpuMs !== undefined) cpuOne.push(a.cpuMs);
        if (b.cpuMs !== undefined) cpuTwo.push(b.cpuMs);
        ratios.push(a.ms / b.ms);
      }
      const size = statSync(w.file).size / 1e6;
      const ratio = median(ratios);
      const cpu = (xs: number[]): string => (xs.length > 0 ? `${median(xs).toFixed(0)} ms` : '?');
      rows.push([w.name, `pushback -j1 FILE ${w.stages.join(' ')}`, (size / (median(one) / 1000)).toFixed(0), `${median(one).toFixed(0)} ms`, cpu(cpuOne), '1.00']);
      rows.push([w.name, `pushback -j2 FILE ${w.stages.join(' ')}`, (size / (median(two) / 1000)).toFixed(0), `${median(two).toFixed(0)} ms`, cpu(cpuTwo), ratio.toFixed(2)]);
      bars.push(`${w.name}: -j2 at ${ratio.toFixed(2)}× the speed of -j1 (bar: ≥ ${BAR.toFixed(2)}): ${ratio >= BAR ? 'met' : 'NOT met'}`);
    }
    console.log(`\n${(statSync(logFile).size / 1e6).toFixed(0)} MB log and ${(statSync(jsonFile).size / 1e6).toFixed(0)} MB of JSON lines, generated in ${tmpdir()};`);
    console.log(`whole commands including start-up, output piped into cat > /dev/null; medians of ${RUNS} rounds;`);
    console.log(`Node ${process.version}, ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)} before and ${loadavg()[0].toFixed(2)} after, ${new Date().toISOString().slice(0, 10)}\n`);
    console.log(markdownTable(['workload', 'command', 'MB/s', 'median time', 'median CPU time', 'speed × -j1'], rows));
    console.log('\nspeed × -j1: the median over rounds of (time of -j1 / time of -j2).');
    console.log('CPU time: user + system of the command, all its threads; -j2 can be twice as fast as -j1 only with two cores free for it.');
    for (const b of bars) console.log(b);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
