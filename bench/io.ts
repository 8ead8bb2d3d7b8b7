// IO benchmark: MB/s for pass-through, uppercase, lines + literal grep and
// lines + count over a generated 200 MB log, side by side in one run, against
// the classic tools and Node's streams. Every contender is a process of its
// own piped into `cat > /dev/null`, so all pay the same for output; the Node
// contenders (pushback included) also pay their start-up, measured in its own
// rows and subtracted in the last column. Times are medians (tinybench).
//
//   npm run bench:io              # 200 MB, 5 runs each
//   PUSHBACK_BENCH_MB=50 PUSHBACK_BENCH_RUNS=3 npm run bench:io
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { sampleChunks } from '../examples/sample.js';
import { markdownTable, median } from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MB = Number(process.env.PUSHBACK_BENCH_MB ?? 200);
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 5);
const dataDir = join(root, 'bench', 'data');
const file = join(dataDir, `sample-${MB}mb.log`);
const node = process.execPath;
const pushback = join(root, 'dist', 'bin', 'pushback.js');
const peers = join(here, 'io-peers.js');

async function generate(): Promise<void> {
  if (existsSync(file) && statSync(file).size >= MB * 1e6) return;
  mkdirSync(dataDir, { recursive: true });
  process.stderr.write(`generating ${file} ...\n`);
  const out = createWriteStream(file);
  let written = 0;
  // About 70 bytes a line.
  for (const chunk of sampleChunks({ lines: Math.ceil((MB * 1e6) / 69), seed: 7 })) {
    written += chunk.length;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    if (written >= MB * 1e6) break;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell command with its output piped into `cat > /dev/null`, as `cmd | cat` would. */
function run(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${command} | cat > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command}: exit ${code}`))));
  });
}

const sh = (script: string) => () => run(script.replaceAll('FILE', q(file)));
const nodePeer = (name: string) => () => run(`${q(node)} ${q(peers)} ${q(name)} ${q(file)}`);
const cli = (...stages: string[]) => () => run([node, pushback, file, ...stages].map(q).join(' '));

interface Workload {
  name: string;
  /** The classic tool, the reference for the ratio column. */
  reference: string;
  contenders: Record<string, () => Promise<void>>;
}

const workloads: Workload[] = [
  {
    name: 'pass-through',
    reference: 'cat',
    contenders: {
      cat: sh('cat FILE'),
      'Node stream.pipeline': nodePeer('stream.pipeline'),
      'pushback FILE': cli(),
    },
  },
  {
    name: 'uppercase',
    reference: 'tr a-z A-Z',
    contenders: {
      'tr a-z A-Z': sh('tr a-z A-Z < FILE'),
      'Node Transform toUpperCase': nodePeer('Transform toUpperCase'),
      'Node hand loop (byte table)': nodePeer('hand loop (byte table)'),
      'pushback FILE upper': cli('upper'),
    },
  },
  {
    name: 'lines + literal grep',
    reference: 'grep -F ERROR',
    contenders: {
      'grep -F ERROR': sh('grep -F ERROR FILE'),
      'Node line-splitting Transform': nodePeer('line-splitting Transform'),
      'Node readline': nodePeer('readline'),
      'Node hand loop (split + includes)': nodePeer('hand loop (split + includes)'),
      'pushback FILE grep ERROR': cli('grep', 'ERROR'),
    },
  },
  {
    name: 'lines + count',
    reference: 'wc -l',
    contenders: {
      'wc -l': sh('wc -l < FILE'),
      'Node line-splitting Transform': nodePeer('line-splitting Transform, counted'),
      'Node hand loop (indexOf)': nodePeer('hand loop (indexOf)'),
      'pushback FILE count': cli('count'),
    },
  },
];

async function main(): Promise<void> {
  if (!existsSync(pushback)) throw new Error(`${pushback} is missing: run npm run build first`);
  await generate();
  const size = statSync(file).size;
  // What a program costs before it reads a byte: subtracted in the last column.
  const startup = await measure({
    'node -e ""': () => run(`${q(node)} -e ""`),
    'pushback --help': () => run(`${q(node)} ${q(pushback)} --help`),
  });
  const startupOf = (name: string): number => (name.startsWith('pushback') ? startup['pushback --help'] : name.startsWith('Node') ? startup['node -e ""'] : 0);
  const rows: string[][] = [];
  const checks: string[] = [];
  for (const [name, ms] of Object.entries(startup)) rows.push(['(start-up)', name, '', `${ms.toFixed(0)} ms`, '', '']);
  for (const w of workloads) {
    const times = await measure(w.contenders);
    const ref = times[w.reference];
    for (const [name, ms] of Object.entries(times)) {
      const mbs = size / 1e6 / (ms / 1000);
      const net = size / 1e6 / (Math.max(1, ms - startupOf(name)) / 1000);
      rows.push([w.name, name, mbs.toFixed(0), `${ms.toFixed(0)} ms`, (ref / ms).toFixed(2), net.toFixed(0)]);
    }
    const ratio = (a: string, b: string): string => {
      const wall = times[b] / times[a];
      const net = times[b] / (times[a] - startupOf(a));
      return `${wall.toFixed(2)} (${net.toFixed(2)} without start-up)`;
    };
    if (w.name === 'uppercase') checks.push(`uppercase: pushback vs tr = ${ratio('pushback FILE upper', 'tr a-z A-Z')}; the bar is 0.5`);
    if (w.name === 'lines + literal grep') {
      checks.push(`lines + grep: pushback vs the Node line-splitting Transform = ${(times['Node line-splitting Transform'] / times['pushback FILE grep ERROR']).toFixed(2)}; the bar is 2`);
    }
  }
  console.log(`\n${(size / 1e6).toFixed(0)} MB (${file.replace(`${root}/`, '')}), each contender a process piped into cat > /dev/null,`);
  console.log(`median of ${RUNS} runs, Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(markdownTable(['workload', 'contender', 'MB/s', 'median time', '× tool', 'MB/s without start-up'], rows));
  console.log('\n× tool: speed relative to the classic tool of the workload (its first row); above 1 is faster.');
  for (const c of checks) console.log(c);
}

async function measure(contenders: Record<string, () => Promise<void>>): Promise<Record<string, number>> {
  const bench = new Bench({ iterations: RUNS, time: 0, warmupIterations: 1, warmupTime: 0 });
  for (const [name, fn] of Object.entries(contenders)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, number> = {};
  for (const task of bench.tasks) {
    const result = task.result as { state: string; latency?: { samples?: number[]; p50: number }; error?: Error };
    if (result.state !== 'completed' || !result.latency) throw new Error(`${task.name}: ${result.error?.message ?? result.state}`);
    out[task.name] = result.latency.samples ? median(result.latency.samples) : result.latency.p50;
  }
  return out;
}

await main();
