// The running chain the migration tests move (to a worker, back, between
// workers, to another machine), and the driver that pushes its source a chunk
// at a time so that a test can cut in between chunks.
import { define, each, type Definition } from '../../engine/definition.js';
import type { IO } from '../../engine/io.js';
import { byReference } from '../../freezer/references.js';
import { Process } from '../../engine/process.js';
import { map } from '../../processes/elements/map.js';
import { grep } from '../../processes/elements/grep.js';
import { scan } from '../../processes/elements/scan.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { pair, zip } from '../../processes/topology/zip.js';

/** One turn of the event loop. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Pushes `source` until it is done, a turn between chunks; `at(chunk)` runs
 * before each chunk. With `lookAgainMs`, a blocked source also looks again
 * after that long: a zip takes from one input after the other delivered
 * without telling the first (see offerAgain in transport/thread-link.ts).
 */
export async function drive(source: Process, at: (chunk: number) => void = () => undefined, lookAgainMs?: number): Promise<void> {
  for (let chunk = 0; ; chunk++) {
    at(chunk);
    await turn();
    const r = pumpOnce(source);
    if (r === 'done' || r === 'cancelled') return;
    if (r !== 'blocked') continue;
    const writable = source.whenWritableAgain('out');
    await (lookAgainMs === undefined ? writable : Promise.race([writable, new Promise((resolve) => setTimeout(resolve, lookAgainMs))]));
  }
}

/** from -> map -> grep -> scan -> collect: a running sum shows any record lost, doubled or reordered, and that the state moved. */
export function migrationPipeline(io: IO, n: number) {
  const xs = Array.from({ length: n }, (_, i) => i);
  const source = new Process(io, from, { xs });
  const doubled = new Process(io, map, { f: (x: number) => x * 2 + 1 });
  const kept = new Process(io, grep, { p: (x: number) => x % 3 !== 0 });
  const sums = new Process(io, scan, { f: (a: number, x: number) => (a * 31 + x) % 1000003, seed: 7 });
  const sink = new Process(io, collect);
  source.connect('out', doubled, 'in');
  doubled.connect('out', kept, 'in');
  kept.connect('out', sums, 'in');
  sums.connect('out', sink, 'in');
  let acc = 7;
  const expected = xs.map((x) => x * 2 + 1).filter((x) => x % 3 !== 0).map((x) => (acc = (acc * 31 + x) % 1000003));
  return { source, steps: [doubled, kept, sums], sink, expected };
}

/** from, from -> zip -> collect: numbers on the left, `r<i>` on the right (`rightExtra` more of them), paired by position. */
export function zipLine(io: IO, n: number, rightExtra = 0) {
  const left = new Process(io, from, { xs: Array.from({ length: n }, (_, i) => i) });
  const right = new Process(io, from, { xs: Array.from({ length: n + rightExtra }, (_, i) => `r${i}`) });
  const pairs = new Process(io, zip, { f: pair, bound: 64 });
  const sink = new Process(io, collect);
  left.connect('out', pairs, 'left');
  right.connect('out', pairs, 'right');
  pairs.connect('out', sink, 'in');
  return { left, right, pairs, sink, expected: Array.from({ length: n }, (_, i) => [i, `r${i}`]) };
}

// A definition of the caller's own: no other host's registry has it.
let twice: Definition | undefined;

/**
 * from -> twice -> map -> collect, where a host that is asked to take `twice`
 * and `map` lacks three things: the definition `twice` (the sender's own), the
 * module of map's function (a package that is not installed), and, once the
 * sender's headers say so, map's engine version.
 */
export function lineTheHostLacks(io: IO, n: number) {
  twice ??= define('twice', { ports: ['in', 'out'], inputs: ['in'] }).flow('>in', each('emit(x); emit(x)', 'out>'));
  const source = new Process(io, from, { xs: Array.from({ length: n }, (_, i) => i) });
  const doubled = new Process(io, twice);
  const step = new Process(io, map, { f: byReference((x: number) => x + 1, { module: 'no-such-package-xyz', export: 'inc', version: '1.0.0' }) });
  const sink = new Process(io, collect);
  source.connect('out', doubled, 'in');
  doubled.connect('out', step, 'in');
  step.connect('out', sink, 'in');
  const expected = Array.from({ length: n }, (_, i) => [i + 1, i + 1]).flat();
  return { source, doubled, step, sink, expected };
}
