// One equivalence case of a registered process (from its manifest: parameters
// and input drawn from the seed) with its connections crossing between two
// hosts: its inputs come from host A and its outputs go back to host A, through
// whatever `hosts.connect` makes (one container, the loopback, JetStream). The
// transport tests compare what comes out with one container.
import type { IO } from '../../engine/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { Process } from '../../engine/process.js';
import type { Case } from '../../processes/manifest/manifest.js';
import { registry } from '../../processes/registry.js';
import { collect } from '../../processes/sinks/collect.js';
import { from } from '../../processes/sources/from.js';

export interface Hosts {
  a: IO;
  b: IO;
  /** Connects `from.fromPort` (on one host) to `to.toPort` (on the other): directly, or through the transport under test. */
  connect(from: Process, fromPort: string, to: Process, toPort: string): void | Promise<void>;
}

const int = (r: () => number, n: number) => Math.floor(r() * n);

const ended = (sink: Process, port = 'in'): Promise<void> => sink.whenEnded(port);

/**
 * Builds the topology for one case of process `name` across `hosts`, runs it
 * (`drive` pushes the sources until they are done), and returns what came out.
 */
export async function runAcrossHosts(name: string, c: Case<Record<string, unknown>>, hosts: Hosts, seed: number, drive: (sources: Process[]) => Promise<void>): Promise<unknown> {
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
    await connect(s, 'out', sink, 'in');
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
    await connect(sources[0], 'out', p, 'left');
    await connect(sources[1], 'out', p, 'right');
    const sink = new Process(a, collect);
    await connect(p, 'out', sink, 'in');
    await Promise.all([drive(sources), ended(sink)]);
    return sink.state.items;
  }
  if (def.range === 'in') {
    // union: several sources on host A into its members; what comes out is what went in, in some interleaving.
    const parts = [xs.filter((_, i) => i % 3 === 0), xs.filter((_, i) => i % 3 === 1), xs.filter((_, i) => i % 3 === 2)];
    const sources = parts.map((data) => new Process(a, from, { xs: data }));
    for (const [i, s] of sources.entries()) await connect(s, 'out', p, `in[${i}]`);
    const sink = new Process(a, collect);
    await connect(p, 'out', sink, 'in');
    await Promise.all([drive(sources), ended(sink)]);
    return (sink.state.items as number[]).slice().sort((x, y) => x - y);
  }
  const s = new Process(a, from, { xs });
  await connect(s, 'out', p, 'in');
  if (def.range === 'out') {
    // copy, router: every member back to host A.
    const members = c.members?.(given) ?? (given.members as number | undefined) ?? 1 + int(r, 3);
    const sinks: Process[] = [];
    for (let i = 0; i < members; i++) {
      const sink = new Process(a, collect);
      await connect(p, `out[${i}]`, sink, 'in');
      sinks.push(sink);
    }
    await Promise.all([drive([s]), ...sinks.map((k) => ended(k))]);
    return sinks.map((k) => k.state.items);
  }
  if (!ports.includes('out')) {
    // A sink on host B: what it holds at the end.
    await Promise.all([drive([s]), ended(p)]);
    return { state: { ...p.state }, seen };
  }
  const sink = new Process(a, collect);
  await connect(p, 'out', sink, 'in');
  await Promise.all([drive([s]), ended(sink)]);
  return sink.state.items;
}
