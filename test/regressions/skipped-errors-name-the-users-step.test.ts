// Regression: under onError('skip') a map is carried out by the internal class
// filterMap (so that a failing element can be dropped), and the reported errors
// named `filterMap#N`, a process the user never wrote. Every step carried out by
// another class is named as the user wrote it.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import type { UserCodeError } from '../../engine/policy.js';
import '../../processes/index.js';

const failOn = (bad: number) => (x: number) => {
  if (x === bad) throw new Error(`bad ${x}`);
  return x;
};

describe('errors under a skipping policy name the step the user wrote', () => {
  for (const fuse of [true, false]) {
    for (const policy of ['skip', { retry: 2, then: 'skip' }] as const) {
      it(`map, ${JSON.stringify(policy)}, ${fuse ? 'fused' : 'interpreted'}`, async () => {
        const io = new IO({ fuse });
        const reports: UserCodeError[] = [];
        const out = await io.from([1, 2, 3]).onError(policy, (e) => reports.push(e)).map(failOn(2)).collect().completion();
        expect(out).toEqual([1, 3]);
        expect(reports).toHaveLength(1);
        expect(reports[0].process).toMatch(/^map#\d+$/);
        expect(reports[0].message).toMatch(/^map#\d+: user code threw at element 1/);
      });
    }

    it(`map from an async source, ${fuse ? 'fused' : 'interpreted'}`, async () => {
      const io = new IO({ fuse });
      const reports: UserCodeError[] = [];
      const out = await io.fromAsync([1, 2, 3]).onError('skip', (e) => reports.push(e)).map(failOn(3)).collect().completion();
      expect(out).toEqual([1, 2]);
      expect(reports.map((e) => e.process)).toEqual([expect.stringMatching(/^map#\d+$/)]);
    });

    it(`filter and concatMap are named as written, ${fuse ? 'fused' : 'interpreted'}`, async () => {
      const io = new IO({ fuse });
      const reports: UserCodeError[] = [];
      const out = await io.from([1, 2, 3])
        .onError('skip', (e) => reports.push(e))
        .filter((x: number) => failOn(1)(x) > 0)
        .concatMap((x: number) => [failOn(3)(x)])
        .collect()
        .completion();
      expect(out).toEqual([2]);
      expect(reports.map((e) => e.process)).toEqual([expect.stringMatching(/^filter#\d+$/), expect.stringMatching(/^concatMap#\d+$/)]);
    });
  }
});
