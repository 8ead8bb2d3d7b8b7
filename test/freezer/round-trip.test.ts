// Snapshot and restore round trips for every registered process: a graph is
// driven in seeded random chunks, snapshotted at a seeded random cut point,
// restored into a new container, and driven on. What it produces must be
// identical to an uninterrupted run with the same chunks, and the state of
// every process right after the restore identical to the state before.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../api/io.js';
import type { IO as Container } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { registry } from '../../processes/registry.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';
import { collected } from '../../processes/sinks/collect-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'freezer-round-trip-'));
const int = (r: () => number, n: number) => Math.floor(r() * n);

type Params = Record<string, unknown>;
type AnyFunction = (...args: never[]) => unknown;

/** Where a harness's processes are found: by label, so the restored ones are found the same way. */
interface Graph {
  get(label: string): Process;
}

/** The world outside the graph: what was written into it and read out of it so far. */
interface World {
  pos: number[];
  out: unknown[];
  seen: unknown[];
}

interface Harness {
  /** Builds the graph in a fresh container (labels follow from the order). */
  build(io: IO, params: Params, world: World): void;
  /** Moves one random chunk; false when nothing more can move. */
  step(g: Graph, world: World, r: () => number): boolean;
  /** After the last step: ends what the test writes into. */
  finish(g: Graph): void;
  result(g: Graph, world: World): unknown;
}

/** Parameters: portable functions for even seeds, closures (passed again at restore) for odd ones. */
interface Case {
  params(r: () => number, portable: boolean, world: World): Params;
  harness: Harness;
}

function write(head: Process, port: string, xs: unknown[], pos: number, r: () => number): number {
  if (pos >= xs.length) return 0;
  const admitted = head.admittance(port, Flowable.write(xs, pos, Math.min(1 + int(r, 40), xs.length - pos)));
  if (admitted.size === 0) return 0;
  expect(head.flow(port, admitted)).toBe(admitted.size);
  return admitted.size;
}

const data = (r: () => number): number[] => Array.from({ length: 50 + int(r, 250) }, () => int(r, 1000));

/** The steps of a harness whose input is written into cat#1: one random chunk a step, then its end. */
function fedByCat(input: () => number[]): Pick<Harness, 'step' | 'finish'> {
  return {
    step(g, world, r) {
      const k = write(g.get('cat#1'), '>in', input(), world.pos[0], r);
      world.pos[0] += k;
      return k > 0;
    },
    finish(g) {
      g.get('cat#1').end('out');
    },
  };
}

/** cat#1 -> p#2 -> collect#3 .. collect#(2+sinks) */
function pipeline(def: string, sinks = 1, port = (i: number) => (sinks === 1 ? 'out' : `out[${i}]`)): Harness {
  let xs: number[] = [];
  return {
    build(io, params) {
      const head = new Process(io, cat);
      const p = new Process(io, registry.get(def)!.definition, params);
      head.connect('out', p, 'in');
      const count = typeof params.members === 'number' ? params.members : typeof params.k === 'number' ? params.k : sinks;
      for (let i = 0; i < count; i++) p.connect(count === 1 && sinks === 1 ? 'out' : port(i), new Process(io, collect), 'in');
      xs = (params as { xs?: number[] }).xs ?? xs;
    },
    ...fedByCat(() => xs),
    result(g) {
      const out: unknown[] = [];
      for (let i = 3; ; i++) {
        try {
          out.push(g.get(`collect#${i}`).state.items);
        } catch {
          return out;
        }
      }
    },
  };
}

/** cat#1 -> sink#2 */
function sink(def: string, result: (p: Process, world: World) => unknown): Harness {
  let xs: number[] = [];
  return {
    build(io, params) {
      const head = new Process(io, cat);
      const { xs: data, ...rest } = params as { xs: number[] };
      xs = data;
      head.connect('out', new Process(io, registry.get(def)!.definition, rest), 'in');
    },
    ...fedByCat(() => xs),
    result: (g, world) => result(g.get(`${def}#2`), world),
  };
}

/** A source read in random chunks: source#1 alone, pulled through '<out'. */
function pulled(def: string): Harness {
  return {
    build(io, params) {
      new Process(io, registry.get(def)!.definition, params);
    },
    step(g, world, r) {
      const s = g.get(`${def}#1`);
      const admitted = s.admittance('<out', Flowable.read(world.out, 1 + int(r, 40), world.out.length));
      if (admitted.size === 0) return false;
      expect(s.flow('<out', admitted)).toBe(-admitted.size);
      return true;
    },
    finish() {},
    result: (g, world) => [world.out, g.get(`${def}#1`).isConnected('out')],
  };
}

const withData = (r: () => number, rest: Params = {}): Params => ({ xs: data(r), ...rest });

const cases: Record<string, Case> = {
  cat: { params: (r) => withData(r), harness: pipeline('cat') },
  map: {
    params: (r, portable) => {
      const k = int(r, 7);
      return withData(r, { f: portable ? (x: number) => x * 3 + 1 : (x: number) => x * 3 + k });
    },
    harness: pipeline('map'),
  },
  grep: {
    params: (r, portable) => {
      const m = 2 + int(r, 3);
      return withData(r, { p: portable ? (x: number) => x % 3 === 0 : (x: number) => x % m === 0 });
    },
    harness: pipeline('grep'),
  },
  take: { params: (r) => withData(r, { limit: int(r, 200) }), harness: pipeline('take') },
  drop: { params: (r) => withData(r, { count: int(r, 200) }), harness: pipeline('drop') },
  scan: {
    params: (r, portable) => {
      const q = 1000003;
      return withData(r, { f: portable ? (a: number, x: number) => (a * 31 + x) % 1000003 : (a: number, x: number) => (a * 31 + x) % q, seed: int(r, 10) });
    },
    harness: pipeline('scan'),
  },
  buffer: { params: (r) => withData(r, { capacity: 1 + int(r, 50) }), harness: pipeline('buffer') },
  flatMap: {
    params: (r, portable) => {
      const k = 1 + int(r, 4);
      return withData(r, { f: portable ? (x: number) => Array.from({ length: x % 3 }, (_, i) => x + i) : (x: number) => Array.from({ length: x % k }, (_, i) => x + i) });
    },
    harness: pipeline('flatMap'),
  },
  copy: { params: (r) => withData(r, { members: 1 + int(r, 4) }), harness: pipeline('copy', 2) },
  router: {
    params: (r, portable) => {
      const k = 1 + int(r, 4);
      return withData(r, { key: portable ? (x: number) => x % 3 : (x: number) => x % k, k: portable ? 3 : k });
    },
    harness: pipeline('router', 2),
  },
  reduce: {
    params: (r, portable) => {
      const q = 999983;
      return withData(r, { f: portable ? (a: number, x: number) => (a * 7 + x) % 999983 : (a: number, x: number) => (a * 7 + x) % q, seed: int(r, 5) });
    },
    harness: sink('reduce', (p) => [p.state.acc, p.isEnded('in')]),
  },
  collect: { params: (r) => withData(r), harness: sink('collect', (p) => [p.state.items, p.state.done]) },
  // A sink: what it holds is its runs joined, whichever cut points split them.
  collectRuns: { params: (r) => withData(r), harness: sink('collectRuns', (p) => [collected(p as Parameters<typeof collected>[0]), p.state.done]) },
  // each's function is the test's own side effect: never portable, always passed again.
  each: { params: (r, _portable, world) => withData(r, { f: (x: unknown) => world.seen.push(x) }), harness: sink('each', (_p, world) => world.seen) },
  from: { params: (r) => withData(r), harness: pulled('from') },
  fromArrays: {
    params: (r) => ({ arrays: Array.from({ length: 1 + int(r, 5) }, () => data(r).slice(0, 1 + int(r, 80))) }),
    harness: pulled('fromArrays'),
  },
  union: {
    params: (r) => withData(r, { inputs: 1 + int(r, 5) }),
    harness: ((): Harness => {
      let xs: number[] = [];
      let inputs = 0;
      return {
        // union#1, collect#2, cat#3 .. cat#(2+inputs)
        build(io, params) {
          xs = params.xs as number[];
          inputs = params.inputs as number;
          const u = new Process(io, registry.get('union')!.definition);
          u.connect('out', new Process(io, collect), 'in');
          for (let i = 0; i < inputs; i++) new Process(io, cat).connect('out', u, `in[${i}]`);
        },
        step(g, world, r) {
          const head = g.get(`cat#${3 + int(r, inputs)}`);
          const k = write(head, '>in', xs, world.pos[0], r);
          world.pos[0] += k;
          return world.pos[0] < xs.length;
        },
        finish(g) {
          for (let i = 0; i < inputs; i++) g.get(`cat#${3 + i}`).end('out');
        },
        result: (g) => [g.get('collect#2').state.items, g.get('collect#2').state.done],
      };
    })(),
  },
  zip: {
    params: (r, portable) => {
      const k = 1000;
      return withData(r, { f: portable ? (a: number, b: number) => a * 1000 + b : (a: number, b: number) => a * k + b, bound: 1 + int(r, 30), skip: int(r, 300) });
    },
    harness: ((): Harness => {
      let sides: number[][] = [];
      return {
        // zip#1, collect#2, cat#3 (left), cat#4 (right)
        build(io, params) {
          const { xs, skip, ...rest } = params as { xs: number[]; skip: number };
          sides = [xs, xs.slice(skip).map((x) => x + 1)];
          const z = new Process(io, registry.get('zip')!.definition, rest);
          z.connect('out', new Process(io, collect), 'in');
          new Process(io, cat).connect('out', z, 'left');
          new Process(io, cat).connect('out', z, 'right');
        },
        step(g, world, r) {
          let moved = false;
          for (let i = 0; i < 2; i++) {
            const k = write(g.get(`cat#${3 + i}`), '>in', sides[i], world.pos[i], r);
            world.pos[i] += k;
            moved ||= k > 0;
          }
          return moved;
        },
        finish(g) {
          g.get('cat#3').end('out');
          g.get('cat#4').end('out');
        },
        result: (g) => [g.get('collect#2').state.items, g.get('collect#2').state.done],
      };
    })(),
  },
};

// Every other registered process is a step with one input and one output:
// it runs between a cat and a collector, with the parameters and input of its
// manifest's first case (functions there that are not portable are passed
// again at restore, as for odd seeds above).
for (const [name, manifest] of registry) {
  if (name in cases) continue;
  const first = manifest.cases[0];
  cases[name] = {
    params: (r) => ({ ...first.params(r), xs: first.input ? first.input(r) : data(r) }),
    harness: pipeline(name),
  };
}

/**
 * The processes of a graph just built, held strongly: the container holds its
 * processes weakly, and nothing else here refers to them, so without this a
 * garbage collection between two steps could take them.
 */
function graphOf(io: Container): Graph & { held: Process[] } {
  const held = [...io.processes()];
  return {
    held,
    get(label) {
      for (const p of held) if (p.label === label) return p;
      throw new Error(`no ${label}`);
    },
  };
}

function world(): World {
  return { pos: [0, 0], out: [], seen: [] };
}

/** Every function parameter of the graph by `label.param`: what a caller passes again. */
function functionsOf(io: Container): Record<string, AnyFunction> {
  const out: Record<string, AnyFunction> = {};
  for (const p of io.processes()) for (const [k, v] of Object.entries(p.params)) if (typeof v === 'function') out[`${p.label}.${k}`] = v as AnyFunction;
  return out;
}

/** Values a snapshot cannot carry (a case's own sentinel symbol), passed again as resources. */
function resourcesOf(io: Container): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of io.processes()) for (const [k, v] of Object.entries(p.params)) if (typeof v === 'symbol') out[`${p.label}.${k}`] = v;
  return out;
}

function statesOf(io: Container): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of io.processes()) out[p.label] = { ...p.state };
  return out;
}

async function roundTrip(name: string, seed: number): Promise<void> {
  const c = cases[name];
  const fuse = seed % 3 !== 0;
  const portable = seed % 2 === 0;
  // The uninterrupted run.
  const plain = world();
  const r1 = mulberry32(seed);
  const io1 = new IO({ fuse });
  const params1 = c.params(r1, portable, plain);
  c.harness.build(io1, params1, plain);
  const g1 = graphOf(io1);
  const chunks = mulberry32(seed * 31 + 1);
  let steps = 0;
  while (c.harness.step(g1, plain, chunks)) steps++;
  c.harness.finish(g1);
  const expected = c.harness.result(g1, plain);

  // The same run, cut at a random step, snapshotted, restored and driven on.
  const cut = int(mulberry32(seed * 7 + 3), steps + 1);
  const w = world();
  const r2 = mulberry32(seed);
  const io2 = new IO({ fuse });
  const params2 = c.params(r2, portable, w);
  c.harness.build(io2, params2, w);
  const chunks2 = mulberry32(seed * 31 + 1);
  const g2 = graphOf(io2);
  for (let i = 0; i < cut; i++) c.harness.step(g2, w, chunks2);
  const file = join(dir, `${name}-${seed}.snap`);
  const report = await io2.snapshot(file);
  const before = statesOf(io2);
  const restored = await IO.restore(file, { functions: functionsOf(io2), resources: resourcesOf(io2), io: { fuse } });
  expect(restored.io).not.toBe(io2);
  expect(report.processes).toBe(restored.processes.size);
  const after = statesOf(restored.io);
  // Device-like state (none here) aside, every field comes back as it was.
  expect(after, `${name} seed ${seed}: state after restore`).toEqual(before);
  const g3 = graphOf(restored.io);
  while (c.harness.step(g3, w, chunks2));
  c.harness.finish(g3);
  expect(c.harness.result(g3, w), `${name} seed ${seed}, cut after ${cut} of ${steps} steps, ${fuse ? 'fused' : 'interpreted'}`).toEqual(expected);
  // Until here, so that statesOf(io2) above still finds every process of the cut run.
  expect(g1.held.length + g2.held.length).toBeGreaterThan(0);
}

describe('snapshot and restore at random cut points', () => {
  it('has a case for every registered process', () => {
    expect(Object.keys(cases).sort()).toEqual([...registry.keys()].sort());
  });

  for (const name of Object.keys(cases)) {
    it(`${name}: restored output identical to an uninterrupted run`, async () => {
      for (let seed = 1; seed <= 12; seed++) await roundTrip(name, seed);
    });
  }

  it('notes a non-portable function and refuses to restore without it, naming the key', async () => {
    const io = new IO();
    const k = 3;
    const head = new Process(io, cat);
    const m = new Process(io, registry.get('map')!.definition, { f: (x: number) => x + k });
    head.connect('out', m, 'in');
    m.connect('out', new Process(io, collect), 'in');
    const file = join(dir, 'not-portable.snap');
    const report = await io.snapshot(file);
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0].process).toBe('map#2');
    expect(report.notes[0].what).toMatch(/parameter 'f' is a function that is not portable: it uses `k`/);
    expect(report.notes[0].restore).toMatch(/functions\['map#2\.f'\]/);
    await expect(IO.restore(file)).rejects.toThrow(/function 'map#2\.f' \(not portable: it uses `k`/);
    const restored = await IO.restore(file, { functions: { 'map#2.f': (x: number) => x + k } });
    restored.process('cat#1').flow('>in', Flowable.write([1, 2]));
    expect(restored.process('collect#3').state.items).toEqual([4, 5]);
  });

  it('keeps each process its id when ids have gaps', async () => {
    const io = new IO();
    const keep: Process[] = [];
    for (let i = 0; i < 5; i++) keep.push(new Process(io, cat));
    keep[1].remove();
    keep[3].remove();
    keep[0].connect('out', keep[2], 'in');
    keep[2].connect('out', keep[4], 'in');
    const file = join(dir, 'gaps.snap');
    await io.snapshot(file);
    const restored = await IO.restore(file);
    expect([...restored.processes.keys()].sort()).toEqual(['cat#1', 'cat#3', 'cat#5']);
    expect(restored.process('cat#1').peer('out')?.process).toBe(restored.process('cat#3'));
    expect(restored.io.count).toBe(3);
  });
});
