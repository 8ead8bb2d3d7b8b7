// Value codec benchmark: the candidates for transport/codec.ts on the records
// this engine moves, first for correctness (which awkward values come back
// exactly), then for speed (encode + decode of a 256-record run).
//
//   v8        `v8.serialize` / `v8.deserialize` as they are
//   codec     transport/codec.ts: v8 behind the carriability check and the
//             format-version byte (what the transport really pays)
//   msgpackr  `new Packr({ structuredClone: true, moreTypes: true, useRecords: false })`
//   cbor-x    `new Encoder({ same options })`
//
// msgpackr and cbor-x are not dependencies of the project (v8 won); the bench
// runs them when they are installed:
//
//   npm install --no-save msgpackr cbor-x && npm run bench:codec
//
// Each round measures every candidate on every record kind in turn; the table
// shows, per kind, each candidate's median rate and the median of its
// per-round ratios to v8 (a ratio above 1 is faster than v8).
import { serialize, deserialize } from 'node:v8';
import { isDeepStrictEqual } from 'node:util';
import { decodeValues, encodeValues } from '../transport/codec.js';
import { markdownTable, median } from './table.js';

const ROUNDS = Number(process.env.PUSHBACK_BENCH_RUNS ?? 9);
const RUN = 256;
const REPEAT = Number(process.env.PUSHBACK_BENCH_REPEAT ?? 400);

interface Codec {
  encode: (xs: unknown[]) => Uint8Array;
  decode: (b: Uint8Array) => unknown;
}

async function optional(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    // A variable specifier: the candidates need not be installed to build.
    const spec: string = name;
    return (await import(spec)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function candidates(): Promise<Map<string, Codec>> {
  const found = new Map<string, Codec>([
    ['v8', { encode: (xs) => serialize(xs), decode: (b) => deserialize(b) }],
    ['codec', { encode: (xs) => encodeValues(xs), decode: (b) => decodeValues(b) }],
  ]);
  const options = { structuredClone: true, moreTypes: true, useRecords: false };
  const msgpackr = await optional('msgpackr');
  if (msgpackr) {
    const Packr = msgpackr.Packr as new (o: object) => { pack(x: unknown): Uint8Array; unpack(b: Uint8Array): unknown };
    const p = new Packr(options);
    found.set('msgpackr', { encode: (xs) => p.pack(xs), decode: (b) => p.unpack(b) });
  }
  const cbor = await optional('cbor-x');
  if (cbor) {
    const Encoder = cbor.Encoder as new (o: object) => { encode(x: unknown): Uint8Array; decode(b: Uint8Array): unknown };
    const c = new Encoder(options);
    found.set('cbor-x', { encode: (xs) => c.encode(xs), decode: (b) => c.decode(b) });
  }
  return found;
}

function sparse(): unknown[] {
  const a: unknown[] = [1];
  a[10] = 5;
  return a;
}

const awkward: Record<string, unknown> = {
  undefined: [undefined, { a: undefined }],
  NaN: NaN,
  '-0': -0,
  BigInt: [5n, -(2n ** 100n)],
  Map: new Map<unknown, unknown>([[1, 'a'], ['x', { y: 2 }]]),
  Set: new Set([1, 'a']),
  Date: new Date(1234567),
  'typed arrays': [new Float64Array([1.5, -0]), new Int32Array([1, -2])],
  'sparse array': sparse(),
  'many keys': Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])),
};

const line = (i: number): string =>
  `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z ERROR worker ${i} failed to reach 10.0.0.${i % 255}: timeout after 3000ms`;
const records: Record<string, unknown[]> = {
  'short strings': Array.from({ length: RUN }, (_, i) => `k${i}`),
  'log lines': Array.from({ length: RUN }, (_, i) => line(i)),
  'parsed JSON lines': Array.from({ length: RUN }, (_, i) => ({
    ts: 1700000000000 + i, level: i % 7 ? 'INFO' : 'ERROR', path: `/api/v1/items/${i}`, status: 200, ms: i * 0.37, tags: ['a', 'b'],
  })),
  'nested arrays': Array.from({ length: RUN }, (_, i) => [i, [i + 1, `x${i}`], [[i * 1.5]]]),
  'Uint8Array chunks': Array.from({ length: RUN }, (_, i) => new Uint8Array(64).fill(i)),
  'mixed numbers': Array.from({ length: RUN }, (_, i) => (i % 2 ? i : i * 1.25)),
};

function correct(c: Codec, v: unknown): boolean {
  try {
    const [back] = c.decode(c.encode([v])) as unknown[];
    return isDeepStrictEqual(back, v) && (typeof v !== 'number' || Object.is(back, v));
  } catch {
    return false;
  }
}

function rate(c: Codec, xs: unknown[]): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REPEAT; i++) c.decode(c.encode(xs));
  const ns = Number(process.hrtime.bigint() - t0);
  return (REPEAT * xs.length) / (ns / 1e9);
}

async function main(): Promise<void> {
  const codecs = await candidates();
  const names = [...codecs.keys()];
  console.log(`# Value codec: ${names.join(', ')}${codecs.has('msgpackr') ? '' : ' (msgpackr and cbor-x not installed: npm install --no-save msgpackr cbor-x)'}\n`);

  console.log('## Round-trips exactly\n');
  console.log(markdownTable(['value', ...names], Object.entries(awkward).map(([k, v]) => [k, ...names.map((n) => (correct(codecs.get(n)!, v) ? 'yes' : '**no**'))])));

  for (const c of codecs.values()) for (const xs of Object.values(records)) rate(c, xs); // warm up
  const rates = new Map<string, number[]>(); // `${kind}/${codec}` → per-round rates
  const ratios = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, xs] of Object.entries(records)) {
      const order = round % 2 ? [...names].reverse() : names;
      const got = new Map(order.map((n) => [n, rate(codecs.get(n)!, xs)]));
      for (const n of names) {
        const key = `${kind}/${n}`;
        (rates.get(key) ?? rates.set(key, []).get(key)!).push(got.get(n)!);
        (ratios.get(key) ?? ratios.set(key, []).get(key)!).push(got.get(n)! / got.get('v8')!);
      }
    }
  }
  console.log(`\n## Encode + decode of a ${RUN}-record run: median M records/s (median per-round ratio to v8), ${ROUNDS} rounds\n`);
  console.log(markdownTable(['records', ...names], Object.keys(records).map((kind) => [
    kind,
    ...names.map((n) => `${(median(rates.get(`${kind}/${n}`)!) / 1e6).toFixed(2)} (${median(ratios.get(`${kind}/${n}`)!).toFixed(2)}×)`),
  ])));
  const sizes = Object.entries(records).map(([kind, xs]) => [kind, ...names.map((n) => String(codecs.get(n)!.encode(xs).length))]);
  console.log(`\n## Encoded size of one run (bytes)\n`);
  console.log(markdownTable(['records', ...names], sizes));
}

await main();
