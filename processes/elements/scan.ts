// scan(f, seed): emits every intermediate accumulator.
import { define, each, reducer, value } from '../../engine/definition.js';
import { int, manifestOf } from '../manifest/manifest.js';

export const scan = define('scan', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { f: reducer(), seed: value<unknown>() },
  state: { acc: (p) => p.seed },
})
  .flow('>in', each('acc = f(acc, x); emit(acc)', 'out>', { oneToOne: true }))
  .flow('<out', each('acc = f(acc, x); emit(acc)', 'in<', { oneToOne: true }));

/** Plain reference implementation, for the equivalence test. */
export function reference(xs: unknown[], { f, seed }: { f: (a: unknown, x: unknown) => unknown; seed: unknown }): unknown[] {
  let acc = seed;
  return xs.map((x) => (acc = f(acc, x)));
}

export const manifest = manifestOf(scan, {
  reference,
  cases: [{ harness: 'element', readable: true, params: (r) => ({ f: (a: number, x: number) => (a * 31 + x) % 1000003, seed: int(r, 10) }) }],
});
