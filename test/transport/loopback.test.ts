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
import { registry } from '../../processes/registry.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { drive as driveSources } from '../support/drive.js';
import { runAcrossHosts, type Hosts } from '../support/equivalence-across-hosts.js';
import { Loopback, LOOPBACK } from '../../transport/loopback.js';

const int = (r: () => number, n: number) => Math.floor(r() * n);

/** Where the processes of one run live: one container, or two hosts linked by the loopback. */
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

describe('the loopback transport', () => {
  for (const [name, manifest] of registry) {
    for (const c of manifest.cases) {
      it(`${name}${c.label ? ` (${c.label})` : ''}: across the loopback, as in one container`, async () => {
        for (let seed = 1; seed <= 6; seed++) {
          const r = mulberry32(seed * 7919);
          const direct = await runAcrossHosts(name, c, oneContainer(), seed, drive);
          const across = await runAcrossHosts(name, c, linked(1 + int(r, 40)), seed, drive);
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
