// A skip on a worker (onError('skip') before parallel()) was reported with the
// element's place within its chunk; one thread reports its position in the
// step's whole input. Now the worker's reports give the same positions as one
// thread's, for every step (a step after a filter or a flatMap counts what it
// was given, not the source), ordered merge or not.
import { afterAll, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { mulberry32 } from '../../engine/scheduler.js';
import { half, odd } from '../support/throwing-steps.js';

const io = new IO({ workers: 2 });
afterAll(() => io.close());

const pair = (x: number): number[] => [x, x + 1];
const third = (x: number): number => {
  if (x % 17 === 0) throw new Error(`no third of ${x}`);
  return x / 3;
};

it('a skip on a worker gives the element\'s position in its step\'s input, as one thread does', async () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = mulberry32(seed);
    const xs = Array.from({ length: 300 + Math.floor(r() * 3000) }, () => Math.floor(r() * 10_000));
    const chunk = 1 + Math.floor(r() * 150);
    const one: string[] = [];
    io.from(xs).onError('skip', (e) => void one.push(`${e.index} ${String((e.cause as Error).message)}`)).map(half).filter(odd).flatMap(pair).map(third).collect().run();
    for (const ordered of [true, false]) {
      const many: string[] = [];
      await io.from(xs).onError('skip', (e) => void many.push(`${e.index} ${String((e.cause as Error).message)}`))
        .parallel(2, { chunk, ordered }).map(half).filter(odd).flatMap(pair).map(third).collect().completion();
      expect(many, `seed ${seed}, chunk ${chunk}, ordered ${ordered}`).toEqual(one);
    }
  }
});
