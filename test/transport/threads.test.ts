// Every registered process whose manifest cases have portable parameters, run
// on a worker thread (its own IO container, host 2) with its sources and sinks
// on the main thread (host 1), must give what the same topology gives in one
// container. A case whose parameters do not cross (a function with free names,
// a value the codec refuses) is skipped and counted, with the reason. Also: the
// placement refuses a non-portable function by name, and a worker terminated in
// the middle of a stream ends the main thread's side with an error that says
// the host is gone.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostId } from '../../engine/address.js';
import type { Definition } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { transportOf } from '../../engine/ports.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { Process } from '../../engine/process.js';
import { explain } from '../../jit/explain.js';
import { map } from '../../processes/elements/map.js';
import type { Case } from '../../processes/manifest/manifest.js';
import { registry } from '../../processes/registry.js';
import { collect } from '../../processes/sinks/collect.js';
import { from } from '../../processes/sources/from.js';
import { drive as driveSources } from '../support/drive.js';
import { packParams } from '../../transport/portable-params.js';
import { NotPortableError } from '../../transport/portable.js';
import { THREADS } from '../../transport/thread-link.js';
import { WorkerHost } from '../../transport/worker-host.js';
import { buildForWorkers } from './build.js';

const int = (r: () => number, n: number) => Math.floor(r() * n);

let built: { dir: string; remove: () => void };
let shared: WorkerHost;
const script = (): string => join(built.dir, 'transport/worker-container.js');

beforeAll(() => {
  built = buildForWorkers(['transport/worker-container.ts']);
  shared = new WorkerHost({ script: script(), host: hostId(2), window: 16, ringBytes: 4096 });
}, 180_000);

afterAll(async () => {
  await shared?.close();
  built?.remove();
});

/** A process placed somewhere, and how the main thread's sources and sinks reach its ports. */
interface Placed {
  feed(source: Process, port: string): void;
  drainTo(port: string, sink: Process): void;
  /** A sink's state once every input ended. */
  finalState(): Promise<Record<string, unknown>>;
  /** A source runs where it lives: pushed here in one container, pushed by the worker on the worker. */
  pushed(): Promise<void>;
}

/** Where the process under test lives: in the main container, or on the worker. */
interface Placement {
  a: IO;
  place(def: Definition, params: Record<string, unknown>, ports: { inputs: string[]; outputs: string[] }): Promise<Placed>;
}

function oneContainer(): Placement {
  const a = new IO();
  return {
    a,
    place: async (def, params, ports) => {
      const p = new Process(a, def, params);
      return {
        feed: (s, port) => void s.connect('out', p, port),
        drainTo: (port, sink) => void p.connect(port, sink, 'in'),
        finalState: async () => {
          await Promise.all(ports.inputs.map((port) => p.whenEnded(port)));
          return { ...p.state };
        },
        pushed: () => drive([p]),
      };
    },
  };
}

function onWorker(host: WorkerHost): Placement {
  const a = new IO({ host: hostId(1), remote: host.route() });
  return {
    a,
    place: async (def, params, ports) => {
      const far = await host.place(a, def, params, ports);
      return {
        feed: (s, port) => {
          // The process is on host 2: processFor returns the writer stand-in for its port.
          const proxy = a.processFor(far.address(port))!;
          s.connect('out', proxy, 'in');
          expect(transportOf(s, 'out')).toBe(THREADS);
        },
        drainTo: (port, sink) => void far.output(port).connect('out', sink, 'in'),
        finalState: () => far.state(),
        pushed: async () => undefined,
      };
    },
  };
}

/** Waits until one of the blocked sources may write again (credit arrived, or its connection ended). */
const drive = (sources: Process[]): Promise<void> => driveSources(sources, (blocked) => Promise.race(blocked.map((s) => s.whenWritableAgain('out'))));

/**
 * Builds the topology for one case of process `name` (parameters and input
 * drawn from the seed, as the loopback test does), with the process placed by
 * `placement` and its sources and sinks in the main container; runs it and
 * returns what came out.
 */
async function run(name: string, c: Case<Record<string, unknown>>, placement: Placement, seed: number): Promise<unknown> {
  const r = mulberry32(seed);
  const def = registry.get(name)!.definition;
  const given = { ...c.params(r) };
  const xs = c.input ? c.input(r) : Array.from({ length: int(r, 300) }, () => int(r, 1000));
  const { a } = placement;
  const ended = (sink: Process): Promise<void> => sink.whenEnded('in');
  if (name === 'from' || name === 'fromArrays') {
    // The source itself is on the worker, pushed there; what it gives comes back to the main thread.
    const cuts = [int(r, xs.length + 1), int(r, xs.length + 1)].sort((p, q) => p - q);
    const params = name === 'from' ? { xs } : { arrays: [xs.slice(0, cuts[0]), xs.slice(cuts[0], cuts[1]), xs.slice(cuts[1])] };
    const p = await placement.place(def, params, { inputs: [], outputs: ['out'] });
    const sink = new Process(a, collect);
    p.drainTo('out', sink);
    await Promise.all([p.pushed(), ended(sink)]);
    return name === 'from' ? sink.state.items : (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const ports = def.ports;
  if (ports.includes('left')) {
    const other = xs.slice(int(r, xs.length + 1)).map((x) => Number(x) + 1);
    const p = await placement.place(def, given, { inputs: ['left', 'right'], outputs: ['out'] });
    const sources = [xs, other].map((data) => new Process(a, from, { xs: data }));
    p.feed(sources[0], 'left');
    p.feed(sources[1], 'right');
    const sink = new Process(a, collect);
    p.drainTo('out', sink);
    await Promise.all([drive(sources), ended(sink)]);
    return sink.state.items;
  }
  if (def.range === 'in') {
    const parts = [xs.filter((_, i) => i % 3 === 0), xs.filter((_, i) => i % 3 === 1), xs.filter((_, i) => i % 3 === 2)];
    const p = await placement.place(def, given, { inputs: parts.map((_, i) => `in[${i}]`), outputs: ['out'] });
    const sources = parts.map((data) => new Process(a, from, { xs: data }));
    sources.forEach((s, i) => p.feed(s, `in[${i}]`));
    const sink = new Process(a, collect);
    p.drainTo('out', sink);
    await Promise.all([drive(sources), ended(sink)]);
    return (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const s = new Process(a, from, { xs });
  if (def.range === 'out') {
    const members = c.members?.(given) ?? (given.members as number | undefined) ?? 1 + int(r, 3);
    const outs = Array.from({ length: members }, (_, i) => `out[${i}]`);
    const p = await placement.place(def, given, { inputs: ['in'], outputs: outs });
    p.feed(s, 'in');
    const sinks = outs.map((port) => {
      const sink = new Process(a, collect);
      p.drainTo(port, sink);
      return sink;
    });
    await Promise.all([drive([s]), ...sinks.map((k) => ended(k))]);
    return sinks.map((k) => k.state.items);
  }
  if (!ports.includes('out')) {
    // A sink on the worker: its state at the end comes back. What its callbacks were called with stays there.
    const p = await placement.place(def, given, { inputs: ['in'], outputs: [] });
    p.feed(s, 'in');
    const [, state] = await Promise.all([drive([s]), p.finalState()]);
    return state;
  }
  const p = await placement.place(def, given, { inputs: ['in'], outputs: ['out'] });
  p.feed(s, 'in');
  const sink = new Process(a, collect);
  p.drainTo('out', sink);
  await Promise.all([drive([s]), ended(sink)]);
  return sink.state.items;
}

/** Why a case's parameters cannot go to the worker for one of the seeds, or undefined when they can. */
function whyNotPortable(name: string, c: Case<Record<string, unknown>>, seeds: number[]): string | undefined {
  for (const seed of seeds) {
    try {
      packParams(c.params(mulberry32(seed)), name);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

const SEEDS = [1, 2, 3, 4, 5, 6];
const ran: string[] = [];
const skipped: { test: string; why: string }[] = [];
let cases = 0;

describe('the thread transport', () => {
  for (const [name, manifest] of registry) {
    for (const c of manifest.cases) {
      cases++;
      const test = `${name}${c.label ? ` (${c.label})` : ''}`;
      it(`${test}: on a worker, as in one container`, async (context) => {
        const why = whyNotPortable(name, c, SEEDS);
        if (why !== undefined) {
          skipped.push({ test, why });
          context.skip(`parameters not portable: ${why}`);
          return;
        }
        for (const seed of SEEDS) {
          const direct = await run(name, c, oneContainer(), seed);
          const across = await run(name, c, onWorker(shared), seed);
          expect(across, `${name}, seed ${seed}`).toEqual(direct);
        }
        ran.push(test);
      });
    }
  }

  it('ran every case whose parameters are portable, and counted the others', () => {
    console.info(`thread transport: ${ran.length} of ${cases} cases ran on a worker; ${skipped.length} skipped:\n${skipped.map((s) => `  - ${s.test}: ${s.why}`).join('\n')}`);
    expect(ran.length + skipped.length).toBe(cases);
    // Every skip is a refusal of the parameters, never a failure of the transport.
    for (const s of skipped) expect(s.why).toMatch(/not portable|cannot carry/);
    expect(ran.length).toBeGreaterThan(skipped.length);
  });

  it('fuses up to the writer stand-in and no further', async () => {
    const a = new IO({ host: hostId(1), remote: shared.route() });
    const far = await shared.place(a, map, { f: (x: number) => x * 2 }, { inputs: ['in'], outputs: ['out'] });
    const s = new Process(a, from, { xs: [1, 2, 3] });
    const plusOne = new Process(a, map, { f: (x: number) => x + 1 });
    s.connect('out', plusOne, 'in');
    plusOne.connect('out', a.processFor(far.address('in'))!, 'in');
    const sink = new Process(a, collect);
    far.output('out').connect('out', sink, 'in');
    const near = explain(s, 'out>');
    expect(near).toMatch(/chain_\d+_map: /); // this thread's chain: the local map, inlined
    expect(near).toMatch(/= entry threadWriter#\d+ >in flow/); // the stand-in is called, not inlined
    await Promise.all([drive([s]), sink.whenEnded('in')]);
    expect(sink.state.items).toEqual([4, 6, 8]);
  });

  it('refuses a function that is not portable, naming the function, the process and the free name', async () => {
    const a = new IO({ host: hostId(1), remote: shared.route() });
    const factor = 3;
    const refused = shared.place(a, map, { f: (x: number) => x * factor }, { inputs: ['in'], outputs: ['out'] });
    await expect(refused).rejects.toBeInstanceOf(NotPortableError);
    await expect(refused).rejects.toThrow(/^map on host 2 'f': the function `\(x\) => x \* factor` is not portable to another host: it uses `factor`/);
  });

  it('a grant that lands before the refused writer waits is not lost: many short streams from the worker all end', async () => {
    // The reader's grant comes from another thread and may arrive between the
    // writer's refusal and its wait; every stream must still run to its end.
    for (let n = 0; n < 200; n++) {
      const a = new IO({ host: hostId(1), remote: shared.route() });
      const xs = Array.from({ length: n }, (_, i) => i);
      const far = await shared.place(a, from, { xs }, { outputs: ['out'] });
      const sink = new Process(a, collect);
      far.output('out').connect('out', sink, 'in');
      await sink.whenEnded('in');
      expect(sink.state.items).toEqual(xs);
    }
  }, 60_000);

  it('a worker terminated mid-stream ends the main thread side with an error that says the host is gone', async () => {
    const host = new WorkerHost({ script: script(), host: hostId(3), window: 8, ringBytes: 1024 });
    const a = new IO({ host: hostId(1), remote: host.route() });
    const far = await host.place(a, map, { f: (x: number) => x * 2 }, { inputs: ['in'], outputs: ['out'] });
    const xs = Array.from({ length: 100_000 }, (_, i) => i);
    const s = new Process(a, from, { xs });
    s.connect('out', a.processFor(far.address('in'))!, 'in');
    // Results pass a map on the main thread that says when the first one is back.
    let firstBack!: () => void;
    const running = new Promise<void>((resolve) => (firstBack = resolve));
    const watch = new Process(a, map, { f: (x: number) => (firstBack(), x) });
    const sink = new Process(a, collect);
    far.output('out').connect('out', watch, 'in');
    watch.connect('out', sink, 'in');
    const driving = drive([s]);
    // Once some results are back (the stream is running, and far from its end), the worker is killed.
    await running;
    await host.worker.terminate();
    await Promise.all([driving, sink.whenEnded('in')]);
    const why = sink.endReason('in');
    expect(why?.reason).toBe('error');
    expect(String((why as { error: Error }).error.message)).toMatch(/^host lost: host 3 \(worker thread \d+\) exited with code 1/);
    const got = sink.state.items as number[];
    // What arrived is a prefix of the results, each once: nothing lost in the middle, nothing duplicated.
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(xs.length);
    expect(got).toEqual(xs.slice(0, got.length).map((x) => x * 2));
    // The source learnt that its connection broke, and stopped before its end.
    expect(s.endReason('out')?.reason).toBe('error');
    expect(s.state.pos as number).toBeLessThan(xs.length);
  });
});
