// Regression: steps with residual output (lines, unlines, tr, mapBytes, ...)
// cached their `out>` entries by the far address of `out`. remove() frees an
// object id at once, so a reader that replaced a removed one could sit at the
// same address, and the step kept writing into the removed reader.
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { unlines } from '../../processes/bytes/unlines.js';

describe('residual output and reused object ids', () => {
  it('what unlines sends after its reader was replaced at the same address reaches the new reader', () => {
    const io = new IO();
    const step = new Process(io, unlines);
    const first = new Process(io, collect);
    step.connect('out', first, 'in');
    step.flow('>in', step.admittance('>in', Flowable.write(['a'])));

    first.remove();
    const second = new Process(io, collect);
    expect(second.id).toBe(first.id); // the lowest free id, reused at once
    step.connect('out', second, 'in');
    step.flow('>in', step.admittance('>in', Flowable.write(['b'])));

    // collect keeps bytes as byte values
    const text = (items: unknown): string => Buffer.from(items as number[]).toString();
    expect(text(first.state.items)).toBe('a\n');
    expect(text(second.state.items)).toBe('b\n');
  });
});
