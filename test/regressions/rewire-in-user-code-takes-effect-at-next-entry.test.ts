// Regression: in interpreted mode (new IO({ fuse: false })) every process is
// called through its own entry, and a rewire made inside a user function took
// effect from the next element, while in fused mode the flow in progress keeps
// the topology it started with and the rewire takes effect at the next entry.
// Both modes now agree: the rest of the flow goes where it was going, the next
// flow goes the new way.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump, pumpOnce, PUMP_CHUNK } from '../../processes/sources/from.js';
import { map } from '../../processes/elements/map.js';
import '../../processes/index.js';

const range = (n: number, at = 1) => Array.from({ length: n }, (_, i) => at + i);

/** source -> first -> second -> old; `rewire` runs inside first's function when it sees `at`. */
function build(fuse: boolean, n: number, at: number, rewire: (p: { first: Process; second: Process; old: Process; fresh: Process }) => void) {
  const io = new IO({ fuse });
  const s = new Process(io, from, { xs: range(n) });
  const old = new Process(io, collect);
  const fresh = new Process(io, collect);
  const second = new Process(io, map, { f: (x: number) => x });
  const parts = { first: undefined as unknown as Process, second, old, fresh };
  parts.first = new Process(io, map, {
    f: (x: number) => {
      if (x === at) rewire(parts);
      return x;
    },
  });
  s.connect('out', parts.first, 'in');
  parts.first.connect('out', second, 'in');
  second.connect('out', old, 'in');
  return { s, ...parts };
}

const rewires = {
  'the next process moves its output': ({ second, fresh }: { second: Process; fresh: Process }) => {
    second.disconnect('out');
    second.connect('out', fresh, 'in');
  },
  'the function\'s own process moves its output': ({ first, fresh }: { first: Process; fresh: Process }) => {
    first.disconnect('out');
    first.connect('out', fresh, 'in');
  },
};

describe('a rewire inside a user function takes effect at the next entry', () => {
  for (const [what, rewire] of Object.entries(rewires)) {
    it(`${what}: the same in fused and interpreted mode`, () => {
      const results = [true, false].map((fuse) => {
        const t = build(fuse, PUMP_CHUNK + 100, 2, rewire);
        expect(pumpOnce(t.s)).toBe('moved');
        const afterFirst = [[...(t.old.state.items as number[])], [...(t.fresh.state.items as number[])]];
        pump(t.s);
        return { afterFirst, old: t.old.state.items, fresh: t.fresh.state.items };
      });
      // The flow in progress finishes on the old path; the next one takes the new path.
      expect(results[0].afterFirst).toEqual([range(PUMP_CHUNK), []]);
      expect(results[0].old).toEqual(range(PUMP_CHUNK));
      expect(results[0].fresh).toEqual(range(100, PUMP_CHUNK + 1));
      expect(results[1]).toEqual(results[0]);
    });
  }

  it('through the chaining API, run() gives the same in both modes', () => {
    const results = [true, false].map((fuse) => {
      const io = new IO({ fuse });
      const other = new Process(io, collect);
      let m: Process | undefined;
      const sink = io.from(range(10)).map((x: number) => {
        if (x === 3) {
          m!.disconnect('out');
          m!.connect('out', other, 'in');
        }
        return x * 2;
      }).map((x: number) => x + 1).collect();
      m = sink.process.peer('in')!.process;
      sink.run();
      return [sink.value, other.state.items];
    });
    expect(results[0]).toEqual([range(10).map((x) => x * 2 + 1), []]);
    expect(results[1]).toEqual(results[0]);
  });
});
