// fields(pick): picks fields out of each record, like `cut -f` or awk's $1, $3.
// `picker` makes the function from 1-based field numbers and ranges ("1,3",
// "2-4", "5-"): a string record is split first (on the separator, or on white
// space as awk does); the picked fields are joined with the separator (or one
// space), and a missing field is empty, as in awk: in a closed range too
// ("2-4" on a line of two fields gives the second and two empty ones); an open
// range ("5-") ends at the last field. A record kept as bytes (a line that is
// not UTF-8) is picked as bytes and comes out as bytes.
import { isUtf8 } from 'node:buffer';
import { define, each, value } from '../../engine/definition.js';
import { splitter } from './split.js';
import { manifestOf, records } from '../manifest/manifest.js';

export type FieldList = { from: number; to: number }[];

export function parseFieldList(list: string): FieldList {
  if (!/^\d+(-\d*)?(,\d+(-\d*)?)*$/.test(list)) throw new RangeError(`fields: ${JSON.stringify(list)} is not a list of field numbers like 1,3 or 2-4`);
  return list.split(',').map((part) => {
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : b === '' ? Infinity : Number(b);
    if (!Number.isSafeInteger(from) || from < 1 || to < from || (to !== Infinity && !Number.isSafeInteger(to))) throw new RangeError(`fields: ${JSON.stringify(part)} is not a valid field range (fields count from 1)`);
    return { from, to };
  });
}

export function picker(list: string, separator?: string): (x: unknown) => string {
  const ranges = parseFieldList(list);
  const split = splitter(separator);
  const join = separator === undefined ? ' ' : separator;
  const pick = (x: unknown): string => {
    const fs = Array.isArray(x) ? x : split(x);
    const out: unknown[] = [];
    for (const { from, to } of ranges) {
      const last = to === Infinity ? fs.length : to;
      for (let i = from; i <= last; i++) out.push(fs[i - 1] ?? '');
    }
    return out.join(join);
  };
  return (x) => {
    if (!(x instanceof Uint8Array)) return pick(x);
    // Bytes as latin1 text: one character per byte, so the bytes come back exactly;
    // fields that are UTF-8 after all are text again, like every other UTF-8 line.
    const picked = Buffer.from(pick(Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('latin1')), 'latin1');
    return (isUtf8(picked) ? picked.toString('utf8') : picked) as unknown as string;
  };
}

export const fields = define('fields', { ports: ['in', 'out'], inputs: ['in'], params: { pick: value<(x: unknown) => unknown>() } })
  .flow('>in', each('emit(pick(x))', 'out>', { oneToOne: true }))
  .flow('<out', each('emit(pick(x))', 'in<', { oneToOne: true }));

/** Plain reference implementation. */
export function reference(xs: unknown[], { pick }: { pick: (x: unknown) => string }): string[] {
  return xs.map((x) => pick(x));
}

const words = (x: unknown): string[] => (String(x).trim() === '' ? [] : String(x).trim().split(/\s+/));

export const manifest = manifestOf(fields, {
  reference,
  cases: [
    { harness: 'chain', label: '2', input: records, params: () => ({ pick: picker('2') }), expected: (xs) => xs.map((x) => words(x)[1] ?? '') },
    {
      harness: 'chain', label: '1,3 -d ,', input: records, params: () => ({ pick: picker('1,3', ',') }),
      expected: (xs) => xs.map((x) => { const f = String(x).split(','); return `${f[0] ?? ''},${f[2] ?? ''}`; }),
    },
    { harness: 'chain', label: '2-', input: records, params: () => ({ pick: picker('2-') }), expected: (xs) => xs.map((x) => words(x).slice(1).join(' ')) },
  ],
  stages: [{
    name: 'fields', synopsis: 'fields [-d SEP] [LIST]', args: 'fields',
    help: [
      'split on white space (space, tab, newline, as awk does)',
      "or on SEP (escapes as in tr: -d '\\t' is a tab); with",
      'LIST (numbers and ranges from 1: 2  1,3  2-4  5-) keep',
      'those fields, joined by SEP or a space; a missing',
      'field is empty, as in awk',
    ],
    // args: the list (or '') and the separator, already checked and unescaped.
    build: (chain, [list, separator]) => (list === '' ? chain.split(separator) : chain.fields(list, separator)),
  }],
});
