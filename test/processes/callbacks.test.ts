// User code is found from the definition: the parameters declared as callbacks
// (mapper, predicate, reducer) are guarded under a chain's error policy, with
// the role deciding what a skipped call stands for; other parameters are
// passed as they are, whatever they are called.
import { describe, expect, it } from 'vitest';
import { define, each, mapper, predicate, reducer, value } from '../../engine/definition.js';
import { IO } from '../../api/io.js';
import type { UserCodeError } from '../../engine/policy.js';
import '../../processes/index.js';

const failOn = (bad: number) => (x: number) => {
  if (x === bad) throw new Error(`bad ${x}`);
  return x * 10;
};

// A mapper under a name that is neither `f` nor `p`, and a plain function value called `f`.
const relabel = define('relabel', { ports: ['in', 'out'], inputs: ['in'], params: { label: mapper(), f: value<(x: unknown) => unknown>() } })
  .flow('>in', each('emit(f(label(x)))', 'out>', { oneToOne: true }));
// A predicate and a reducer under other names.
const keep = define('keep', { ports: ['in', 'out'], inputs: ['in'], params: { wanted: predicate() } })
  .flow('>in', each('if (wanted(x)) emit(x)', 'out>'));
const total = define('total', { ports: ['in', 'out'], inputs: ['in'], params: { add: reducer(), initial: value<number>() }, state: { acc: (p) => p.initial } })
  .flow('>in', each('acc = add(acc, x); emit(acc)', 'out>', { oneToOne: true }));

describe('declared callbacks are guarded, by role', () => {
  it('the definitions list their callbacks with their roles', () => {
    expect([...relabel.callbacks]).toEqual([['label', 'mapper']]);
    expect([...keep.callbacks]).toEqual([['wanted', 'predicate']]);
    expect([...total.callbacks]).toEqual([['add', 'reducer']]);
  });

  for (const fuse of [true, false]) {
    const mode = fuse ? 'fused' : 'interpreted';

    it(`a mapper named label is guarded; a value named f is not (${mode})`, async () => {
      const reports: UserCodeError[] = [];
      const io = new IO({ fuse });
      const out = await io.from([1, 2, 3]).onError('skip', (e) => reports.push(e))
        .pipe(relabel, { label: failOn(2), f: (y: unknown) => y }).collect().completion();
      // The skipped call stands for SKIP, which f receives as it is: only the mapper is wrapped.
      expect(out).toHaveLength(3);
      expect(out[0]).toBe(10);
      expect(out[2]).toBe(30);
      expect(reports.map((e) => e.index)).toEqual([1]);

      const io2 = new IO({ fuse });
      const thrown = io2.from([1, 2, 3]).onError('skip', () => undefined)
        .pipe(relabel, { label: (x: number) => x, f: failOn(2) }).collect().completion();
      await expect(thrown).rejects.toThrow(/bad 2/);
    });

    it(`a failed predicate keeps nothing; a failed reducer leaves the accumulator (${mode})`, async () => {
      const io = new IO({ fuse });
      const kept = await io.from([1, 2, 3]).onError('skip', () => undefined)
        .pipe(keep, { wanted: (x: number) => failOn(2)(x) > 0 }).collect().completion();
      expect(kept).toEqual([1, 3]);

      const io2 = new IO({ fuse });
      const add = (a: number, x: number) => {
        if (x === 2) throw new Error('bad 2');
        return a + x;
      };
      const sums = await io2.from([1, 2, 3]).onError('skip', () => undefined).pipe(total, { add, initial: 100 }).collect().completion();
      expect(sums).toEqual([101, 101, 104]);
    });
  }
});
