// split(split): a string in, an array of its fields out. `splitter` makes the
// function: on a separator string, or (without one) on runs of white space
// with leading and trailing space ignored, as awk does. White space is what it
// is to awk: space, tab and newline, not form feed, NBSP or a byte order mark.
import { define, each, value } from '../../engine/definition.js';
import { manifestOf, records } from '../manifest/manifest.js';

const AWK_SPACE = /[ \t\n]+/;
const AWK_TRIM = /^[ \t\n]+|[ \t\n]+$/g;

export function splitter(separator?: string): (x: unknown) => string[] {
  if (separator === undefined || separator === ' ') {
    return (x) => {
      const s = String(x).replace(AWK_TRIM, '');
      return s === '' ? [] : s.split(AWK_SPACE);
    };
  }
  if (separator === '') throw new RangeError('split: the separator is empty');
  return (x) => String(x).split(separator);
}

export const split = define('split', { ports: ['in', 'out'], inputs: ['in'], params: { split: value<(x: unknown) => unknown>() } })
  .flow('>in', each('emit(split(x))', 'out>', { oneToOne: true }))
  .flow('<out', each('emit(split(x))', 'in<', { oneToOne: true }));

/** Plain reference implementation. */
export function reference(xs: unknown[], { split: s }: { split: (x: unknown) => string[] }): string[][] {
  return xs.map((x) => s(x));
}

export const manifest = manifestOf(split, {
  reference,
  cases: [
    { harness: 'chain', label: 'awk', input: records, params: () => ({ split: splitter() }) },
    { harness: 'chain', label: ',', input: records, params: () => ({ split: splitter(',') }), expected: (xs) => xs.map((x) => String(x).split(',')) },
  ],
});
