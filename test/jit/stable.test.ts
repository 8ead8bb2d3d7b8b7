// A write entry's fourth argument, `stable`, is the writer's promise that the
// chunk stays unchanged until read. A JIT rule sees it only while the chunk is
// still the one the entry was called with, and it counts only when it is `true`.
import { describe, expect, it } from 'vitest';
import { define, jit } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { entryOf } from '../../jit/entries.js';
import { code, literal } from '../../codegen/code.js';
import { cat } from '../../processes/elements/cat.js';
import { map } from '../../processes/elements/map.js';
import { take } from '../../processes/elements/take.js';

/** Records, per chunk, what its rule was told: true, false, or 'none' when it could not be told. */
const probe = define('probe', { ports: ['in'], inputs: ['in'], state: { told: () => [] as unknown[] } })
  .admittance('>in', 'n')
  .flow('>in', jit((g) => code`${g.state('told')}.push(${g.stable === undefined ? literal('none') : code`${g.stable} === true`});`));

const told = (p: Process) => p.state.told as unknown[];

/** Writes xs through `head`'s '>in' entry, with the given fourth argument (or none). */
function write(head: Process, xs: unknown[], ...stable: unknown[]): void {
  const n = entryOf(head, '>in', 'admittance').ready()(xs.length);
  entryOf(head, '>in', 'flow').ready()(xs, 0, n, ...stable);
}

describe('the stable argument of a write entry', () => {
  for (const fuse of [true, false]) {
    const mode = fuse ? 'fused' : 'interpreted';

    it(`reaches a JIT rule only as exactly true (${mode})`, () => {
      const io = new IO({ fuse });
      const p = new Process(io, probe);
      write(p, [1, 2], true);
      write(p, [1, 2]);
      write(p, [1, 2], 'yes');
      write(p, [1, 2], 1);
      expect(told(p)).toEqual([true, false, false, false]);
    });

    it(`passes through delegations and loop bounds (${mode})`, () => {
      const io = new IO({ fuse });
      const head = new Process(io, cat);
      const t = new Process(io, take, { limit: 5 });
      const p = new Process(io, probe);
      head.connect('out', t, 'in');
      t.connect('out', p, 'in');
      write(head, [1, 2, 3], true);
      write(head, [4, 5, 6]);
      expect(told(p)).toEqual([true, false]);
    });

    it(`is not passed on once an element rule has made the chunk (${mode})`, () => {
      const io = new IO({ fuse });
      const head = new Process(io, map, { f: (x: number) => x * 2 });
      const p = new Process(io, probe);
      head.connect('out', p, 'in');
      write(head, [1, 2], true);
      // Fused, the rule runs on one-element chunks and is never told; interpreted, its entry is called without it.
      expect(told(p)).toEqual(fuse ? ['none', 'none'] : [false, false]);
    });
  }
});
