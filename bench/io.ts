// IO benchmark: whole commands, start-up included, on a generated 200 MB log
// (and the same records as JSON lines), side by side with the classic tools
// and Node's own streams in one run. Every contender is a process of its own
// whose output is piped into `cat > /dev/null` (a pipe, so GNU grep cannot see
// /dev/null and stop early); its wall time and peak memory (max RSS, from
// /usr/bin/time when installed) are measured. Each round runs every contender
// of a workload once, in turn; the ratio of a contender to the tool is taken
// per round, and the table shows medians of those ratios, so a machine busy
// for a while slows both sides of a ratio alike.
//
//   npm run bench:io              # 200 MB, 5 rounds
//   PUSHBACK_BENCH_MB=50 PUSHBACK_BENCH_RUNS=3 npm run bench:io
//   PUSHBACK_BENCH_ONLY='count,grep WORD count' npm run bench:io   # those workloads only
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSampleJsonLines, writeSampleLog } from './sample-files.js';
import { markdownTable, median } from './table.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MB = Number(process.env.PUSHBACK_BENCH_MB ?? 200);
const RUNS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 5);
const ONLY = process.env.PUSHBACK_BENCH_ONLY?.split(',').map((name) => name.trim());
const dataDir = join(root, 'bench', 'data');
const file = join(dataDir, `sample-${MB}mb.log`);
const jsonFile = join(dataDir, `sample-${MB}mb.jsonl`);
const node = process.execPath;
const pushback = join(root, 'dist', 'bin', 'pushback.cjs');
const peers = join(here, 'io-peers.js');
const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);
const scratch = mkdtempSync(join(tmpdir(), 'pushback-bench-'));

/** A file of about the size asked for is there (the generators may stop a little short of it). */
const present = (path: string): boolean => existsSync(path) && statSync(path).size >= MB * 1e6 * 0.99;

async function generate(): Promise<void> {
  if (!present(file)) await writeSampleLog(file, MB * 1e6);
  if (!present(jsonFile)) await writeSampleJsonLines(jsonFile, MB * 1e6);
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Measured {
  ms: number;
  /** Peak resident memory in MB, when /usr/bin/time is there to say. */
  mb?: number;
}

/** Runs a shell command with its output piped into `cat > /dev/null`; its wall time and peak memory. */
function run(command: string): Promise<Measured> {
  const memory = join(scratch, 'rss');
  const timed = hasTime ? `${TIME} -f %M -o ${q(memory)} ${command}` : command;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('sh', ['-c', `${timed} | cat > /dev/null`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) {
        reject(new Error(`${command}: exit ${code}`));
        return;
      }
      let mb: number | undefined;
      if (hasTime) {
        const kb = Number(readFileSync(memory, 'utf8').trim().split('\n').pop());
        mb = Number.isFinite(kb) ? kb / 1024 : undefined;
      }
      resolve({ ms, mb });
    });
  });
}

const installed = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

type Contender = (data: string) => string;
const sh = (script: string): Contender => (data) => script.replaceAll('FILE', q(data));
const nodePeer = (name: string): Contender => (data) => `${q(node)} ${q(peers)} ${q(name)} ${q(data)}`;
const cli = (...stages: string[]): Contender => (data) => [node, pushback, data, ...stages].map(q).join(' ');

interface Workload {
  name: string;
  data: 'log' | 'jsonl' | 'none';
  /** The classic tool, the reference of the ratios. */
  tool: string;
  contenders: Record<string, Contender>;
  /** The pushback contender and its bar: tool time / pushback time must be at least `atLeast`. */
  bar?: { contender: string; atLeast: number; text: string };
  needs?: string;
}

const workloads: Workload[] = [
  {
    name: 'start-up',
    data: 'none',
    tool: 'node -e 0',
    contenders: {
      'node -e 0': () => `${q(node)} -e 0`,
      'pushback --help': () => `${q(node)} ${q(pushback)} --help`,
      // The engine's start-up: the bundle loaded, a pipeline built and run on nothing.
      'pushback /dev/null count': () => `${q(node)} ${q(pushback)} /dev/null count`,
    },
    bar: { contender: 'pushback --help', atLeast: 1 / 1.3, text: '≤ 1.3× node -e 0' },
  },
  {
    name: 'grep WORD count',
    data: 'log',
    tool: 'grep -c ERROR',
    contenders: {
      'grep -c ERROR': sh('grep -c ERROR FILE'),
      'Node hand loop (indexOf of the word)': nodePeer('hand loop (indexOf of the word)'),
      'pushback FILE grep ERROR count': cli('grep', 'ERROR', 'count'),
    },
    bar: { contender: 'pushback FILE grep ERROR count', atLeast: 1 / 3.5, text: '≤ 3.5× grep -c' },
  },
  {
    name: 'count',
    data: 'log',
    tool: 'wc -l',
    contenders: {
      'wc -l': sh('wc -l < FILE'),
      'Node line-splitting Transform': nodePeer('line-splitting Transform, counted'),
      'Node hand loop (indexOf)': nodePeer('hand loop (indexOf)'),
      // What count is made of: Node's start, the command line's start, and one read of the file.
      'node -e 0': () => `${q(node)} -e 0`,
      'pushback /dev/null count': () => `${q(node)} ${q(pushback)} /dev/null count`,
      'Node read only (1 MiB blocking reads)': nodePeer('read only (1 MiB blocking reads)'),
      'pushback FILE count': cli('count'),
    },
    bar: { contender: 'pushback FILE count', atLeast: 1 / 4.5, text: '≤ 4.5× wc -l' },
  },
  {
    name: 'fields N sum',
    data: 'log',
    tool: 'mawk',
    needs: 'mawk',
    contenders: {
      mawk: sh("mawk '!/heartbeat/ {s += $6} END {print s}' FILE"),
      'pushback FILE grep -v heartbeat fields 6 sum': cli('grep', '-v', 'heartbeat', 'fields', '6', 'sum'),
    },
    bar: { contender: 'pushback FILE grep -v heartbeat fields 6 sum', atLeast: 1, text: 'at least as fast as mawk' },
  },
  {
    name: 'upper',
    data: 'log',
    tool: 'tr a-z A-Z',
    contenders: {
      'tr a-z A-Z': sh('tr a-z A-Z < FILE'),
      'Node Transform toUpperCase': nodePeer('Transform toUpperCase'),
      'Node hand loop (byte table)': nodePeer('hand loop (byte table)'),
      'pushback FILE upper': cli('upper'),
    },
    bar: { contender: 'pushback FILE upper', atLeast: 0.8, text: '≥ 0.8× tr' },
  },
  {
    name: 'jsonl select + field',
    data: 'jsonl',
    tool: 'jq',
    needs: 'jq',
    contenders: {
      jq: sh('jq -r \'select(.level == "ERROR") | .path\' FILE'),
      'pushback FILE jsonl filter map': cli('jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path'),
    },
    bar: { contender: 'pushback FILE jsonl filter map', atLeast: 4, text: '≥ 4× jq' },
  },
  {
    name: 'lines + literal grep',
    data: 'log',
    tool: 'grep -F ERROR',
    contenders: {
      'grep -F ERROR': sh('grep -F ERROR FILE'),
      'Node line-splitting Transform': nodePeer('line-splitting Transform'),
      'Node hand loop (split + includes)': nodePeer('hand loop (split + includes)'),
      'pushback FILE grep ERROR': cli('grep', 'ERROR'),
    },
  },
  {
    name: 'pass-through',
    data: 'log',
    tool: 'cat',
    contenders: { cat: sh('cat FILE'), 'Node stream.pipeline': nodePeer('stream.pipeline'), 'pushback FILE': cli() },
  },
];

async function main(): Promise<void> {
  if (!existsSync(pushback)) throw new Error(`${pushback} is missing: run npm run build first`);
  await generate();
  const size = { log: statSync(file).size, jsonl: statSync(jsonFile).size, none: 0 };
  const rows: string[][] = [];
  const bars: string[] = [];
  for (const w of workloads) {
    if (ONLY !== undefined && !ONLY.includes(w.name)) continue;
    if (w.needs && !installed(w.needs)) {
      rows.push([w.name, `(skipped: ${w.needs} is not installed)`, '', '', '', '']);
      continue;
    }
    const data = w.data === 'jsonl' ? jsonFile : file;
    const names = Object.keys(w.contenders);
    const times = new Map<string, number[]>(names.map((n) => [n, []]));
    const memory = new Map<string, number[]>(names.map((n) => [n, []]));
    const ratios = new Map<string, number[]>(names.map((n) => [n, []]));
    // One warm-up round (file cache, code cache), then the measured rounds.
    for (let round = -1; round < RUNS; round++) {
      const got = new Map<string, Measured>();
      for (const n of names) got.set(n, await run(w.contenders[n](data)));
      if (round < 0) continue;
      for (const n of names) {
        const m = got.get(n)!;
        times.get(n)!.push(m.ms);
        if (m.mb !== undefined) memory.get(n)!.push(m.mb);
        ratios.get(n)!.push(got.get(w.tool)!.ms / m.ms);
      }
    }
    for (const n of names) {
      const ms = median(times.get(n)!);
      const mb = memory.get(n)!;
      const rate = size[w.data] > 0 ? (size[w.data] / 1e6 / (ms / 1000)).toFixed(0) : '';
      rows.push([w.name, n, rate, `${ms.toFixed(0)} ms`, median(ratios.get(n)!).toFixed(2), mb.length > 0 ? `${Math.max(...mb).toFixed(0)} MB` : '?']);
    }
    if (w.bar) {
      const r = median(ratios.get(w.bar.contender)!);
      bars.push(`${w.name}: ${w.bar.contender} at ${r.toFixed(2)}× the speed of ${w.tool} (bar: ${w.bar.text}, i.e. ≥ ${w.bar.atLeast.toFixed(2)}): ${r >= w.bar.atLeast ? 'met' : 'NOT met'}`);
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  console.log(`\n${(size.log / 1e6).toFixed(0)} MB log (${file.replace(`${root}/`, '')}) and ${(size.jsonl / 1e6).toFixed(0)} MB of the same records as JSON lines;`);
  console.log(`whole commands including start-up, output piped into cat > /dev/null; medians of ${RUNS} rounds;`);
  console.log(`Node ${process.version}, ${cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(markdownTable(['workload', 'contender', 'MB/s', 'median time', 'speed × tool', 'peak memory'], rows));
  console.log('\nspeed × tool: the median over rounds of (tool time / contender time); above 1 is faster than the tool.');
  console.log('peak memory: the largest max RSS over the rounds (of the command itself, not of the pipe).');
  for (const b of bars) console.log(b);
}

await main();
