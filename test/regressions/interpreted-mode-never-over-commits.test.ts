// Regression: interpreted mode (new IO({ fuse: false })) let tee -> merge ->
// take(5) put 10 elements out, where fused mode refused the topology. The trap
// is now found on the topology in both modes: both mend it the same way, and
// a strict container refuses it in both with the same error.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { CompileError } from '../../jit/compile.js';
import '../../processes/index.js';

const range = (n: number, at = 1) => Array.from({ length: n }, (_, i) => at + i);

function attempt(fuse: boolean, strict: boolean, build: (io: IO) => { run(): unknown }): unknown {
  try {
    return build(new IO({ fuse, strict })).run();
  } catch (error) {
    return error instanceof CompileError ? `CompileError: ${error.message.replace(/#\d+/g, '#N')}` : error;
  }
}

const topologies: Record<string, (io: IO) => { run(): unknown }> = {
  'tee -> merge -> take(5)': (io) => {
    const [a, b] = io.from(range(10)).tee();
    return io.merge(a, b).take(5).collect();
  },
  'tee -> maps -> merge -> take(7) -> reduce': (io) => {
    const [a, b] = io.from(range(10)).tee();
    return io.merge(a.map((x: number) => x * 10), b.map((x: number) => -x)).take(7).reduce((n: number) => n + 1, 0);
  },
  'copy(3) -> merge of two -> take(4)': (io) => {
    const [a, , c] = io.from(range(10)).copy(3);
    return io.merge(a, c.grep(() => true)).take(4).collect();
  },
};

describe('interpreted mode does not over-commit where fused mode would not', () => {
  for (const [name, build] of Object.entries(topologies)) {
    it(`${name}: the same result in both modes, no more than the take admits`, () => {
      const fused = attempt(true, false, build);
      const interpreted = attempt(false, false, build);
      expect(interpreted).toEqual(fused);
      if (Array.isArray(fused)) expect(fused.length).toBeLessThanOrEqual(7);
      else expect(typeof fused).toBe('number');
    });

    it(`${name}: strict, the same refusal in both modes`, () => {
      const fused = attempt(true, true, build);
      expect(String(fused)).toMatch(/^CompileError: copy#N: out\[\d\] and out\[\d\] both reach union#N inside one fused flow/);
      expect(attempt(false, true, build)).toEqual(fused);
    });
  }

  it('tee -> merge -> take(5) gives exactly the first five', () => {
    expect(attempt(false, false, topologies['tee -> merge -> take(5)'])).toEqual([1, 2, 3, 4, 5]);
  });
});
