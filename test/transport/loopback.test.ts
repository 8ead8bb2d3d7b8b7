// Every registered process, run with its connections crossing the loopback
// transport (its inputs come from host A, its outputs go back to host A), must
// give what the same topology gives in one container. Also: the JIT fuses up
// to a stand-in and no further, credit bounds what is in flight, and end of
// stream, half-close and errors cross the link as records.
import { describe, expect, it } from 'vitest';
import { fullAddress, hostId } from '../../engine/address.js';
import { errorEnd, LOCAL, transportOf } from '../../engine/ports.js';
import { IO } from '../../engine/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { Process } from '../../engine/process.js';
import { explain } from '../../jit/explain.js';
import { map } from '../../processes/elements/map.js';
import { take } from '../../processes/elements/take.js';
import type { Case } from '../../processes/manifest/manifest.js';
import { registry } from '../../processes/registry.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { drive as driveSources } from '../support/drive.js';
import { Loopback, LOOPBACK } from '../../transport/loopback.js';

const int = (r: () => number, n: number) => Math.floor(r() * n);

/** Where the processes of one run live: one container, or two hosts linked by the loopback. */
interface Hosts {
  a: IO;
  b: IO;
  /** Connects `from.fromPort` (on one host) to `to.toPort` (on the other): directly, or through a proxy. */
  connect(from: Process, fromPort: string, to: Process, toPort: string): void;
}

function oneContainer(): Hosts {
  const io = new IO();
  return { a: io, b: io, connect: (f, fp, t, tp) => void f.connect(fp, t, tp) };
}

function linked(window: number): Hosts & { loop: Loopback } {
  const loop = new Loopback({ window });
  const a = loop.add(new IO({ host: hostId(1), remote: loop.route() }));
  const b = loop.add(new IO({ host: hostId(2), remote: loop.route() }));
  return {
    a, b, loop,
    connect: (f, fp, t, tp) => {
      // The far process is on the other host: processFor returns the proxy that stands in for its port.
      const proxy = f.io.processFor(fullAddress(t.io.host, t.id, t.portNumber(tp)))!;
      f.connect(fp, proxy, 'in');
      expect(transportOf(f, fp)).toBe(LOOPBACK);
    },
  };
}

/** Lets the records in flight arrive (one macrotask). */
const drive = (sources: Process[]): Promise<void> => driveSources(sources, () => new Promise((resolve) => setImmediate(resolve)));

/** Waits until `sink` has seen the end of its input. */
const ended = (sink: Process, port = 'in'): Promise<void> => sink.whenEnded(port);

/**
 * Builds the topology for one equivalence case of process `name` (from its
 * manifest: parameters and input drawn from the seed) across `hosts`, runs it,
 * and returns what came out.
 */
async function run(name: string, c: Case<Record<string, unknown>>, hosts: Hosts, seed: number): Promise<unknown> {
  const r = mulberry32(seed);
  const def = registry.get(name)!.definition;
  const seen: unknown[] = [];
  const given = { ...c.params(r) };
  const xs = c.input ? c.input(r) : Array.from({ length: int(r, 300) }, () => int(r, 1000));
  // A sink's callbacks also record what they are called with, so what a sink did is compared too.
  if (c.harness === 'sink') {
    for (const key of Object.keys(def.callbacks)) {
      const f = given[key] as (...args: unknown[]) => unknown;
      given[key] = (...args: unknown[]) => { seen.push(args.length === 1 ? args[0] : args); return f(...args); };
    }
  }
  const { a, b, connect } = hosts;
  if (name === 'from' || name === 'fromArrays') {
    const cuts = [int(r, xs.length + 1), int(r, xs.length + 1)].sort((p, q) => p - q);
    const s = new Process(a, def, name === 'from' ? { xs } : { arrays: [xs.slice(0, cuts[0]), xs.slice(cuts[0], cuts[1]), xs.slice(cuts[1])] });
    const sink = new Process(b, collect);
    connect(s, 'out', sink, 'in');
    await Promise.all([drive([s]), ended(sink)]);
    // Taking turns over the arrays follows how much each turn admits, which credit changes: compare the elements.
    return name === 'from' ? sink.state.items : (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const p = new Process(b, def, given);
  const ports = def.ports;
  if (ports.includes('left')) {
    // zip: both sides from host A, the pairs back to host A.
    const other = xs.slice(int(r, xs.length + 1)).map((x) => Number(x) + 1);
    const sources = [xs, other].map((data) => new Process(a, from, { xs: data }));
    connect(sources[0], 'out', p, 'left');
    connect(sources[1], 'out', p, 'right');
    const sink = new Process(a, collect);
    connect(p, 'out', sink, 'in');
    await Promise.all([drive(sources), ended(sink)]);
    return sink.state.items;
  }
  if (def.range === 'in') {
    // union: several sources on host A into its members; what comes out is what went in, in some interleaving.
    const parts = [xs.filter((_, i) => i % 3 === 0), xs.filter((_, i) => i % 3 === 1), xs.filter((_, i) => i % 3 === 2)];
    const sources = parts.map((data) => new Process(a, from, { xs: data }));
    sources.forEach((s, i) => connect(s, 'out', p, `in[${i}]`));
    const sink = new Process(a, collect);
    connect(p, 'out', sink, 'in');
    await Promise.all([drive(sources), ended(sink)]);
    return (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const s = new Process(a, from, { xs });
  connect(s, 'out', p, 'in');
  if (def.range === 'out') {
    // copy, router: every member back to host A.
    const members = c.members?.(given) ?? (given.members as number | undefined) ?? 1 + int(r, 3);
    const sinks = Array.from({ length: members }, (_, i) => {
      const sink = new Process(a, collect);
      connect(p, `out[${i}]`, sink, 'in');
      return sink;
    });
    await Promise.all([drive([s]), ...sinks.map((k) => ended(k))]);
    return sinks.map((k) => k.state.items);
  }
  if (!ports.includes('out')) {
    // A sink on host B: what it holds at the end.
    await Promise.all([drive([s]), ended(p)]);
    return { state: { ...p.state }, seen };
  }
  const sink = new Process(a, collect);
  connect(p, 'out', sink, 'in');
  await Promise.all([drive([s]), ended(sink)]);
  return sink.state.items;
}

describe('the loopback transport', () => {
  for (const [name, manifest] of registry) {
    for (const c of manifest.cases) {
      it(`${name}${c.label ? ` (${c.label})` : ''}: across the loopback, as in one container`, async () => {
        for (let seed = 1; seed <= 6; seed++) {
          const r = mulberry32(seed * 7919);
          const direct = await run(name, c, oneContainer(), seed);
          const across = await run(name, c, linked(1 + int(r, 40)), seed);
          expect(across, `${name}, seed ${seed}`).toEqual(direct);
        }
      });
    }
  }

  it('fuses up to the stand-in and starts a new fused chain on the far side', async () => {
    const { a, b, connect } = linked(16);
    const s = new Process(a, from, { xs: [1, 2, 3] });
    const m1 = new Process(a, map, { f: (x: number) => x + 1 });
    const m2 = new Process(b, map, { f: (x: number) => x * 2 });
    const sink = new Process(b, collect);
    s.connect('out', m1, 'in');
    connect(m1, 'out', m2, 'in');
    m2.connect('out', sink, 'in');
    expect(transportOf(s, 'out')).toBe(LOCAL);
    const near = explain(s, 'out>');
    expect(near).toMatch(/chain_\d+_map: /); // the source's chain: map, inlined
    expect(near).toMatch(/= entry transportWriter#\d+ >in flow/); // the stand-in is called, not inlined
    expect(near).not.toMatch(/items/); // nothing of host B's chain
    const reader = m2.peer('in')!.process;
    const far = explain(reader, 'out>');
    expect(far).toMatch(/chain_\d+_map_collect/); // host B's chain: map and collect, fused
    await Promise.all([drive([s]), ended(sink)]);
    expect(sink.state.items).toEqual([4, 6, 8]);
  });

  it('sends nothing the reader has not granted: credit bounds what is in flight', async () => {
    const { a, b, connect, loop } = linked(5);
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const s = new Process(a, from, { xs });
    const sink = new Process(b, collect);
    connect(s, 'out', sink, 'in');
    // Before any credit arrives the writer admits nothing.
    expect(pumpOnce(s)).toBe('blocked');
    await Promise.resolve();
    await Promise.resolve();
    expect(loop.links[0].credit).toBe(5);
    expect(pumpOnce(s)).toBe('moved');
    expect(s.state.pos).toBe(5);
    expect(pumpOnce(s)).toBe('blocked');
    await Promise.all([drive([s]), ended(sink)]);
    expect(sink.state.items).toEqual(xs);
  });

  it('a reader that stops reading half-closes the link: the sources upstream stop', async () => {
    const { a, b, connect } = linked(8);
    const s = new Process(a, from, { xs: Array.from({ length: 1000 }, (_, i) => i) });
    const t = new Process(b, take, { limit: 3 });
    const sink = new Process(b, collect);
    connect(s, 'out', t, 'in');
    t.connect('out', sink, 'in');
    await Promise.all([drive([s]), ended(sink)]);
    expect(sink.state.items).toEqual([0, 1, 2]);
    // The source learnt across the link that nobody reads any more, and stopped well before its end.
    expect(s.isEnded('out')).toBe(true);
    expect(s.state.pos as number).toBeLessThan(1000);
  });

  it('end of stream crosses with its reason', async () => {
    const { a, b, connect } = linked(8);
    const head = new Process(a, map, { f: (x: number) => x });
    const sink = new Process(b, collect);
    connect(head, 'out', sink, 'in');
    const boom = new Error('upstream failed');
    head.end('out', errorEnd(boom));
    await ended(sink);
    expect(sink.endReason('in')).toEqual({ reason: 'error', error: boom });
  });

  it('a failed link ends both sides with the error', async () => {
    const { a, b, connect, loop } = linked(8);
    const s = new Process(a, from, { xs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    const sink = new Process(b, collect);
    connect(s, 'out', sink, 'in');
    const broken = new Error('link lost');
    loop.links[0].fail(broken);
    await ended(sink);
    expect(sink.endReason('in')).toEqual({ reason: 'error', error: broken });
    expect(s.endReason('out')).toEqual({ reason: 'error', error: broken });
  });
});
