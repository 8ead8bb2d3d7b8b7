// Every registered process, run interpreted (fuse: false) and fused, on
// generated inputs cut into random chunks, must give what its plain reference
// implementation gives. A process registered without a case here fails.
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/cat.js';
import { collect } from '../../processes/collect.js';
import { from, pump } from '../../processes/from.js';
import { registry } from '../../processes/registry.js';

/** A small seeded generator (mulberry32) so every failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r: () => number, n: number) => Math.floor(r() * n);

type Params = Record<string, unknown>;
interface Case {
  /** element: in -> out; sink: in only; source: out only */
  role: 'element' | 'sink' | 'source';
  params: (r: () => number) => Params;
  /** Reads pull through it from a source. */
  readable?: boolean;
  /** What the sink holds at the end, for sinks. */
  result?: (p: Process, seen: unknown[]) => unknown;
}

const cases: Record<string, Case> = {
  cat: { role: 'element', params: () => ({}), readable: true },
  map: { role: 'element', params: (r) => { const k = int(r, 7); return { f: (x: number) => x * 3 + k }; }, readable: true },
  grep: { role: 'element', params: (r) => { const m = 2 + int(r, 3); return { p: (x: number) => x % m === 0 }; }, readable: true },
  take: { role: 'element', params: (r) => ({ limit: int(r, 120) }), readable: true },
  drop: { role: 'element', params: (r) => ({ count: int(r, 120) }), readable: true },
  scan: { role: 'element', params: (r) => ({ f: (a: number, x: number) => (a * 31 + x) % 1000003, seed: int(r, 10) }), readable: true },
  buffer: { role: 'element', params: (r) => ({ capacity: 1 + int(r, 50) }) },
  reduce: { role: 'sink', params: (r) => ({ f: (a: number, x: number) => (a * 7 + x) % 999983, seed: int(r, 5) }), result: (p) => p.state.acc },
  collect: { role: 'sink', params: () => ({}), result: (p) => p.state.items },
  each: { role: 'sink', params: () => ({}), result: (_p, seen) => seen },
  from: { role: 'source', params: () => ({}) },
};

function input(r: () => number): number[] {
  return Array.from({ length: int(r, 300) }, () => int(r, 1000));
}

/** Writes xs into head's >in in random chunks, as far as the chain admits. */
function writeInChunks(head: Process, xs: unknown[], r: () => number): void {
  let pos = 0;
  while (pos < xs.length) {
    const want = 1 + int(r, 40);
    const admitted = head.admittance('>in', Flowable.write(xs, pos, Math.min(want, xs.length - pos)));
    if (admitted.size === 0) break;
    expect(head.flow('>in', admitted)).toBe(admitted.size);
    pos += admitted.size;
  }
}

/** Reads everything from p's <out in random chunks. */
function readInChunks(p: Process, r: () => number): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    const want = 1 + int(r, 40);
    const admitted = p.admittance('<out', Flowable.read(out, want, out.length));
    if (admitted.size === 0) return out;
    expect(p.flow('<out', admitted)).toBe(-admitted.size);
  }
}

function runCase(name: string, c: Case, xs: number[], params: Params, fuse: boolean, mode: 'push' | 'pull', seed: number): unknown {
  const io = new IO({ fuse });
  const def = registry.get(name)!.definition;
  const r = rng(seed);
  if (c.role === 'source') {
    const s = new Process(io, def, { xs });
    if (mode === 'pull') return readInChunks(s, r);
    const sink = new Process(io, collect);
    s.connect('out', sink, 'in');
    pump(s);
    return sink.state.items;
  }
  if (c.role === 'sink') {
    const seen: unknown[] = [];
    const full = name === 'each' ? { f: (x: unknown) => seen.push(x) } : params;
    const head = new Process(io, cat);
    const sink = new Process(io, def, full);
    head.connect('out', sink, 'in');
    writeInChunks(head, xs, r);
    return c.result!(sink, seen);
  }
  const p = new Process(io, def, params);
  if (mode === 'pull') {
    const s = new Process(io, from, { xs });
    s.connect('out', p, 'in');
    return readInChunks(p, r);
  }
  const head = new Process(io, cat);
  const sink = new Process(io, collect);
  head.connect('out', p, 'in');
  p.connect('out', sink, 'in');
  writeInChunks(head, xs, r);
  return sink.state.items;
}

describe('every registered process, interpreted and fused, matches its reference', () => {
  it('has a case for every registered process', () => {
    expect(Object.keys(cases).sort()).toEqual([...registry.keys()].sort());
  });

  for (const [name, c] of Object.entries(cases)) {
    const modes: ('push' | 'pull')[] = c.role === 'sink' ? ['push'] : c.readable || c.role === 'source' ? ['push', 'pull'] : ['push'];
    for (const mode of modes) {
      it(`${name} (${mode})`, () => {
        for (let seed = 1; seed <= 40; seed++) {
          const r = rng(seed * 7919);
          const xs = input(r);
          const params = c.params(r);
          const reference = registry.get(name)!.reference;
          const expected = c.role === 'sink' && name === 'each'
            ? xs
            : reference(xs, c.role === 'source' ? { xs } : params);
          const interpreted = runCase(name, c, xs, params, false, mode, seed);
          const fused = runCase(name, c, xs, params, true, mode, seed);
          expect(interpreted, `${name} ${mode} interpreted, seed ${seed}`).toEqual(expected);
          expect(fused, `${name} ${mode} fused, seed ${seed}`).toEqual(expected);
        }
      });
    }
  }

  it('random compositions of element processes agree with composed references', () => {
    const elements = Object.entries(cases).filter(([, c]) => c.role === 'element');
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const xs = input(r);
      const steps = Array.from({ length: 1 + int(r, 5) }, () => {
        const [name, c] = elements[int(r, elements.length)];
        return { name, params: c.params(r) };
      });
      const expected = steps.reduce<unknown[]>((ys, s) => registry.get(s.name)!.reference(ys, s.params) as unknown[], xs);
      const results = [false, true].map((fuse) => {
        const io = new IO({ fuse });
        const head = new Process(io, cat);
        let tail = head;
        for (const s of steps) {
          const p = new Process(io, registry.get(s.name)!.definition, s.params);
          tail.connect('out', p, 'in');
          tail = p;
        }
        const sink = new Process(io, collect);
        tail.connect('out', sink, 'in');
        writeInChunks(head, xs, rng(seed + 1));
        head.end('out');
        expect(sink.state.done, `end of stream reaches the sink: ${steps.map((s) => s.name).join(' -> ')}`).toBe(true);
        return sink.state.items;
      });
      const label = steps.map((s) => s.name).join(' -> ');
      expect(results[0], `interpreted ${label}, seed ${seed}`).toEqual(expected);
      expect(results[1], `fused ${label}, seed ${seed}`).toEqual(expected);
    }
  });
});
