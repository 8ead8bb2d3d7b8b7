// Regression: in interpreted mode, a downstream disconnect made during a flow
// (by a user function) made the next process's entry recompile in the middle
// of the flow and fail: elements the source had admitted were neither
// delivered nor refused (the source's position did not move, one element had
// gone on). As in fused mode, the flow in progress now delivers everything it
// admitted; the disconnect takes effect at the next entry, which admits
// nothing more.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pumpOnce } from '../../processes/sources/from.js';
import { map } from '../../processes/elements/map.js';
import { take } from '../../processes/elements/take.js';
import '../../processes/index.js';

const range = (n: number, at = 1) => Array.from({ length: n }, (_, i) => at + i);

function run(fuse: boolean, cut: (procs: { m2: Process; t: Process; c: Process }) => void) {
  const io = new IO({ fuse });
  const s = new Process(io, from, { xs: range(10) });
  const c = new Process(io, collect);
  const t = new Process(io, take, { limit: 8 });
  const m2 = new Process(io, map, { f: (x: number) => x });
  const procs = { m2, t, c };
  const m = new Process(io, map, {
    f: (x: number) => {
      if (x === 2) cut(procs);
      return x;
    },
  });
  s.connect('out', m, 'in');
  m.connect('out', m2, 'in');
  m2.connect('out', t, 'in');
  t.connect('out', c, 'in');
  const first = pumpOnce(s);
  const second = pumpOnce(s);
  return { first, second, delivered: c.state.items as number[], admitted: s.state.pos as number };
}

const cuts = {
  'map -> take': ({ m2 }: { m2: Process }) => void m2.disconnect('out'),
  'take -> collect': ({ t }: { t: Process }) => void t.disconnect('out'),
  'the sink leaves': ({ c }: { c: Process }) => void c.disconnect('in'),
};

describe('a downstream disconnect in the middle of a flow loses nothing admitted', () => {
  for (const [where, cut] of Object.entries(cuts)) {
    it(`${where}: every admitted element is delivered, in both modes alike`, () => {
      const fused = run(true, cut);
      const interpreted = run(false, cut);
      expect(fused.first).toBe('moved');
      expect(fused.delivered).toEqual(range(fused.admitted));
      expect(fused.admitted).toBe(8);
      expect(fused.second).not.toBe('moved');
      expect(interpreted).toEqual(fused);
    });
  }
});
