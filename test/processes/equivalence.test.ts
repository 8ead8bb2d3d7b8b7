// Every registered process, run interpreted (fuse: false) and fused, on
// generated inputs cut into random chunks, must give what its plain reference
// implementation gives. The cases come from the processes' manifests (see
// processes/manifest/manifest.ts for the harnesses); a manifest needs at least one.
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../api/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump, pumpAll, PUMP_CHUNK } from '../../processes/sources/from.js';
import { registry, type Registered } from '../../processes/registry.js';
// The examples of docs/adding-a-process.md are run like any registered process.
import '../../examples/processes/hex.js';
import '../../examples/processes/reject.js';
import type { Case, Harness } from '../../processes/manifest/manifest.js';

// A seeded generator (mulberry32), so every failure can be replayed.
const rng = mulberry32;
const int = (r: () => number, n: number) => Math.floor(r() * n);

type Params = Record<string, unknown>;

/** Runs a case whose harness drives the process itself: [what it produced, what its reference expects]. */
type Driver = (m: Registered, c: Case<Params>, io: IO, xs: number[], params: Params, r: () => number) => [unknown, unknown];

/** head (cat) -> p -> one collector per member of p's out[] range. */
const fanOut: Driver = (m, c, io, xs, params, r) => {
  const head = new Process(io, cat);
  const p = new Process(io, m.definition, params);
  head.connect('out', p, 'in');
  const sinks = Array.from({ length: c.members!(params) }, (_, i) => {
    const sink = new Process(io, collect);
    p.connect(`out[${i}]`, sink, 'in');
    return sink;
  });
  writeInChunks(head, xs, r);
  return [sinks.map((k) => k.state.items), m.reference(xs, { ...params, members: sinks.length })];
};

// Writes go to the inputs in a random order; everything written comes out, in the order written.
const fanIn: Driver = (m, _c, io, xs, params, r) => {
  const p = new Process(io, m.definition);
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
  return [sink.state.items, m.reference(written, {})];
};

// xs cut into arrays at random points, one source taking turns over them.
const arrays: Driver = (m, _c, io, xs, params, r) => {
  const cuts = Array.from({ length: (params.parts as number) - 1 }, () => int(r, xs.length + 1)).sort((a, b) => a - b);
  const parts = [0, ...cuts].map((at, i) => xs.slice(at, [...cuts, xs.length][i]));
  const s = new Process(io, m.definition, { arrays: parts });
  const sink = new Process(io, collect);
  s.connect('out', sink, 'in');
  expect(pumpAll([s])).toEqual([]);
  expect(sink.state.done).toBe(true);
  return [sink.state.items, m.reference(xs, { arrays: parts, chunk: PUMP_CHUNK })];
};

const zip: Driver = (m, _c, io, xs, params, r) => {
  const other = xs.slice(int(r, xs.length + 1)).map((x) => x + 1);
  const p = new Process(io, m.definition, params);
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
  return [sink.state.items, m.reference([xs, other], params)];
};

const drivers: Partial<Record<Harness, Driver>> = { 'fan-out': fanOut, 'fan-in': fanIn, arrays, zip };

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

function runCase(m: Registered, c: Case<Params>, xs: number[], params: Params, fuse: boolean, mode: 'push' | 'pull', seed: number): unknown {
  const io = new IO({ fuse });
  const def = m.definition;
  const r = rng(seed);
  const drive = drivers[c.harness];
  if (drive) {
    const [got, expected] = drive(m, c, io, xs, params, r);
    expect(got, `${def.name} ${fuse ? 'fused' : 'interpreted'}, seed ${seed}`).toEqual(expected);
    return got;
  }
  if (c.harness === 'source') {
    const s = new Process(io, def, { ...params, xs });
    if (mode === 'pull') return readInChunks(s, r);
    const sink = new Process(io, collect);
    s.connect('out', sink, 'in');
    pump(s);
    return sink.state.items;
  }
  if (c.harness === 'sink') {
    // A callback `f` the case gives is replaced by one that records what it sees.
    const seen: unknown[] = [];
    const full = typeof params.f === 'function' && def.callbacks.get('f') === 'mapper' ? { ...params, f: (x: unknown) => seen.push(x) } : params;
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

/** io.from(xs) (or an async source over it) piped through the process and collected: end of stream and completion included. */
async function runChain(m: Registered, xs: unknown[], params: Params, fuse: boolean, async: boolean): Promise<unknown> {
  const io = new IO({ fuse });
  const source = async ? io.fromAsync(xs) : io.from(xs);
  return source.pipe(m.definition, params).collect().completion();
}

const cases = [...registry.values()].flatMap((m) => m.cases.map((c) => ({ m, c: c as Case<Params>, name: c.label ? `${m.definition.name} (${c.label})` : m.definition.name })));

describe('every registered process, interpreted and fused, matches its reference', () => {
  it('every process in the registry has a case, and the index exports every registered definition but the examples', async () => {
    const index: Record<string, unknown> = await import('../../processes/index.js');
    for (const m of registry.values()) {
      expect(m.cases.length, m.definition.name).toBeGreaterThan(0);
      if (m.definition.name === 'hex' || m.definition.name === 'reject') continue; // the documentation's examples
      expect(Object.values(index), m.definition.name).toContain(m.definition);
    }
  });

  for (const { m, c, name } of cases) {
    const expected = (xs: unknown[], params: Params) => (c.expected ? c.expected(xs, params) : m.reference(xs, params));
    if (c.harness === 'chain') {
      it(`${name} (chain: end of stream, sync and async sources)`, async () => {
        for (let seed = 1; seed <= 12; seed++) {
          const r = rng(seed * 31 + name.length);
          const xs = c.input ? c.input(r) : input(r);
          const params = c.params(r);
          for (const fuse of [true, false]) {
            const got = await runChain(m, xs, params, fuse, seed % 2 === 0);
            expect(got, `${name} ${fuse ? 'fused' : 'interpreted'}, seed ${seed}`).toEqual(expected(xs, params));
          }
        }
      });
      continue;
    }
    const modes: ('push' | 'pull')[] = c.harness === 'sink' ? ['push'] : c.readable || c.harness === 'source' ? ['push', 'pull'] : ['push'];
    for (const mode of modes) {
      it(`${name} (${mode})`, () => {
        for (let seed = 1; seed <= 40; seed++) {
          const r = rng(seed * 7919);
          const xs = input(r);
          const params = c.params(r);
          const interpreted = runCase(m, c, xs, params, false, mode, seed);
          const fused = runCase(m, c, xs, params, true, mode, seed);
          if (drivers[c.harness]) {
            expect(fused, `${name} ${mode}: fused and interpreted, seed ${seed}`).toEqual(interpreted);
            continue;
          }
          const want = expected(xs, c.harness === 'source' ? { xs } : params);
          expect(interpreted, `${name} ${mode} interpreted, seed ${seed}`).toEqual(want);
          expect(fused, `${name} ${mode} fused, seed ${seed}`).toEqual(want);
        }
      });
    }
  }

  it('random compositions of element processes agree with composed references', () => {
    const elements = cases.filter(({ c }) => c.harness === 'element');
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const xs = input(r);
      const steps = Array.from({ length: 1 + int(r, 5) }, () => {
        const { m, c } = elements[int(r, elements.length)];
        return { m, params: c.params(r) };
      });
      const expected = steps.reduce<unknown[]>((ys, s) => s.m.reference(ys, s.params) as unknown[], xs);
      const results = [false, true].map((fuse) => {
        const io = new IO({ fuse });
        const head = new Process(io, cat);
        let tail = head;
        for (const s of steps) {
          const p = new Process(io, s.m.definition, s.params);
          tail.connect('out', p, 'in');
          tail = p;
        }
        const sink = new Process(io, collect);
        tail.connect('out', sink, 'in');
        writeInChunks(head, xs, rng(seed + 1));
        head.end('out');
        expect(sink.state.done, `end of stream reaches the sink: ${steps.map((s) => s.m.definition.name).join(' -> ')}`).toBe(true);
        return sink.state.items;
      });
      const label = steps.map((s) => s.m.definition.name).join(' -> ');
      expect(results[0], `interpreted ${label}, seed ${seed}`).toEqual(expected);
      expect(results[1], `fused ${label}, seed ${seed}`).toEqual(expected);
    }
  });
});
