// Every registered process, run interpreted (fuse: false) and fused, on
// generated inputs cut into random chunks, must give what its plain reference
// implementation gives. A process registered without a case here fails.
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump, pumpAll, PUMP_CHUNK } from '../../processes/sources/from.js';
import { registry } from '../../processes/registry.js';
import type { Definition } from '../../engine/definition.js';

// A seeded generator (mulberry32), so every failure can be replayed.
const rng = mulberry32;
const int = (r: () => number, n: number) => Math.floor(r() * n);

type Params = Record<string, unknown>;
interface Case {
  /** element: in -> out; sink: in only; source: out only; custom: its own harness */
  role: 'element' | 'sink' | 'source' | 'custom';
  params: (r: () => number) => Params;
  /** Reads pull through it from a source. */
  readable?: boolean;
  /** What the sink holds at the end, for sinks. */
  result?: (p: Process, seen: unknown[]) => unknown;
  /** For custom cases: runs the process and returns [what it produced, what its reference expects]. */
  custom?: (def: Definition, io: IO, xs: number[], params: Params, r: () => number) => [unknown, unknown];
}

/** head (cat) -> p -> one collector per member of p's out[] range. */
function fanOutCase(members: (params: Params) => number) {
  return (def: Definition, io: IO, xs: number[], params: Params, r: () => number): [unknown, unknown] => {
    const head = new Process(io, cat);
    const p = new Process(io, def, params);
    head.connect('out', p, 'in');
    const sinks = Array.from({ length: members(params) }, (_, i) => {
      const sink = new Process(io, collect);
      p.connect(`out[${i}]`, sink, 'in');
      return sink;
    });
    writeInChunks(head, xs, r);
    return [sinks.map((k) => k.state.items), registry.get(def.name)!.reference(xs, { ...params, members: sinks.length })];
  };
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
  flatMap: { role: 'element', params: (r) => { const k = 1 + int(r, 4); return { f: (x: number) => Array.from({ length: x % k }, (_, i) => x + i) }; }, readable: true },
  copy: { role: 'custom', params: (r) => ({ members: 1 + int(r, 4) }), custom: fanOutCase((p) => p.members as number) },
  router: {
    role: 'custom',
    params: (r) => { const k = 1 + int(r, 4); return { key: (x: number) => x % k, k }; },
    custom: fanOutCase((p) => p.k as number),
  },
  union: {
    role: 'custom',
    params: (r) => ({ inputs: 1 + int(r, 5) }),
    custom: (def, io, xs, params, r) => {
      // Writes go to the inputs in a random order; everything written comes out, in the order written.
      const p = new Process(io, def);
      const sink = new Process(io, collect);
      p.connect('out', sink, 'in');
      const heads = Array.from({ length: params.inputs as number }, (_, i) => {
        const h = new Process(io, cat);
        h.connect('out', p, `in[${i}]`);
        return h;
      });
      const written: unknown[][] = [];
      for (let pos = 0; pos < xs.length;) {
        const k = Math.min(1 + int(r, 20), xs.length - pos);
        const h = heads[int(r, heads.length)];
        const admitted = h.admittance('>in', Flowable.write(xs, pos, k));
        h.flow('>in', admitted);
        written.push(xs.slice(pos, pos + admitted.size));
        pos += admitted.size;
      }
      heads.forEach((h) => h.end('out'));
      expect(sink.state.done).toBe(true);
      return [sink.state.items, registry.get('union')!.reference(written, {})];
    },
  },
  fromArrays: {
    role: 'custom',
    params: (r) => ({ parts: 1 + int(r, 6) }),
    custom: (def, io, xs, params, r) => {
      // xs cut into arrays at random points, one source taking turns over them.
      const cuts = Array.from({ length: (params.parts as number) - 1 }, () => int(r, xs.length + 1)).sort((a, b) => a - b);
      const arrays = [0, ...cuts].map((at, i) => xs.slice(at, [...cuts, xs.length][i]));
      const s = new Process(io, def, { arrays });
      const sink = new Process(io, collect);
      s.connect('out', sink, 'in');
      expect(pumpAll([s])).toEqual([]);
      expect(sink.state.done).toBe(true);
      return [sink.state.items, registry.get('fromArrays')!.reference(xs, { arrays, chunk: PUMP_CHUNK })];
    },
  },
  zip: {
    role: 'custom',
    params: (r) => ({ f: (a: number, b: number) => a * 1000 + b, bound: 1 + int(r, 30) }),
    custom: (def, io, xs, params, r) => {
      const other = xs.slice(int(r, xs.length + 1)).map((x) => x + 1);
      const p = new Process(io, def, params);
      const sink = new Process(io, collect);
      p.connect('out', sink, 'in');
      const sides = [xs, other].map((data, i) => {
        const h = new Process(io, cat);
        h.connect('out', p, i === 0 ? 'left' : 'right');
        return { h, data, pos: 0 };
      });
      // Alternate random chunks until neither side can move, then end both.
      for (let moved = true; moved;) {
        moved = false;
        for (const side of sides) {
          if (side.pos >= side.data.length) continue;
          const want = Math.min(1 + int(r, 20), side.data.length - side.pos);
          const admitted = side.h.admittance('>in', Flowable.write(side.data, side.pos, want));
          if (admitted.size === 0) continue;
          // Half the writes promise that the chunk stays unchanged (the data never
          // changes), so zip may borrow it instead of copying.
          if (r() < 0.5) side.h.flow('>in', admitted);
          else side.h.entry('>in', 'flow').ready()(side.data, side.pos, admitted.size, true);
          side.pos += admitted.size;
          moved = true;
        }
      }
      sides.forEach(({ h }) => h.end('out'));
      expect(sink.state.done).toBe(true);
      return [sink.state.items, registry.get('zip')!.reference([xs, other], params)];
    },
  },
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
  if (c.role === 'custom') {
    const [got, expected] = c.custom!(def, io, xs, params, r);
    expect(got, `${name} ${fuse ? 'fused' : 'interpreted'}, seed ${seed}`).toEqual(expected);
    return got;
  }
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
          const interpreted = runCase(name, c, xs, params, false, mode, seed);
          const fused = runCase(name, c, xs, params, true, mode, seed);
          if (c.role === 'custom') {
            expect(fused, `${name} ${mode}: fused and interpreted, seed ${seed}`).toEqual(interpreted);
            continue;
          }
          const expected = c.role === 'sink' && name === 'each'
            ? xs
            : reference(xs, c.role === 'source' ? { xs } : params);
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
