// split(split): a string in, an array of its fields out. `splitter` makes the
// function: on a separator string, or (without one) on runs of white space
// with leading and trailing space ignored, as awk does.
import { define, each } from '../engine/definition.js';

export function splitter(separator?: string): (x: unknown) => string[] {
  if (separator === undefined || separator === ' ') {
    return (x) => {
      const s = String(x).trim();
      return s === '' ? [] : s.split(/\s+/);
    };
  }
  if (separator === '') throw new RangeError('split: the separator is empty');
  return (x) => String(x).split(separator);
}

export const split = define('split', { ports: ['in', 'out'], inputs: ['in'], params: ['split'] })
  .flow('>in', each('emit(split(x))', 'out>', { oneToOne: true }))
  .flow('<out', each('emit(split(x))', 'in<', { oneToOne: true }));

/** Plain reference implementation. */
export function reference(xs: unknown[], { split: s }: { split: (x: unknown) => string[] }): string[][] {
  return xs.map((x) => s(x));
}
