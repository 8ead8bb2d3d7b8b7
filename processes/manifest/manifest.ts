// A process's manifest: everything the project needs to know about one process,
// next to its definition. The registry (registry.ts), the one equivalence suite
// (test/processes/equivalence.test.ts) and the command line's stages
// (bin/stages.ts) are all read from the manifests, so a new process is one file
// that exports its manifest and one line in processes/index.ts.
import type { Definition, Params, State } from '../../engine/definition.js';
import type { Process } from '../../engine/process.js';

/** A seeded source of numbers in [0, 1): every case is replayable from its seed. */
export type Random = () => number;

/** A whole number in [0, n). */
export const int = (r: Random, n: number): number => Math.floor(r() * n);

/**
 * How the equivalence suite drives a process (the drivers are in
 * test/processes/equivalence.test.ts); every case runs interpreted and fused:
 * - element: written into `in` in random chunks (from a cat), collected from
 *   `out`; with `readable`, also read from `out` in random chunks;
 * - sink: written into `in` in random chunks; `result` is what it holds;
 * - source: made over the input (`{ xs }`), pumped into a collector and read;
 * - chain: `io.from(input)` (or an async source) piped through it and
 *   collected, awaited: end of stream, reducers that emit and async completion;
 * - fan-out: one input, the members of `out[]` (`members` of them) collected;
 * - fan-in: the members of `in[]` written in random order, `out` collected;
 * - zip: `left` and `right` written in alternating random chunks;
 * - arrays: one source over the input cut into arrays (`{ arrays }`).
 */
export type Harness = 'element' | 'sink' | 'source' | 'chain' | 'fan-out' | 'fan-in' | 'zip' | 'arrays';

export interface Case<P> {
  harness: Harness;
  /** Names the case when a process has several. */
  label?: string;
  /** The parameters, drawn for one seed (with any values the harness needs, such as `members`). */
  params: (r: Random) => P & Record<string, unknown>;
  /** The input, drawn for one seed (numbers below 1000 when absent). */
  input?: (r: Random) => unknown[];
  /** element: reads pull through it too. */
  readable?: boolean;
  /** sink: what it holds at the end (`seen`: what a callback it was given received). */
  result?: (p: Process, seen: unknown[]) => unknown;
  /** fan-out: how many members of `out[]` to connect. */
  members?(params: P & Record<string, unknown>): number;
  /** What the process must give, when that is not `reference(input, params)`. */
  expected?(input: unknown[], params: P): unknown;
}

/** Arguments as the command line takes them (the parsers are in bin/args.ts). */
export type StageArgs =
  /** No arguments. */
  | 'none'
  /** One JavaScript expression. */
  | 'expression'
  /** One whole number. */
  | 'count'
  /** Two sets, as tr takes them. */
  | 'sets'
  /** grep's options and patterns. */
  | 'grep'
  /** fields: [-d SEP] [LIST]. */
  | 'fields';

/** What a stage's builder may use, given by the command line. */
export interface StageContext {
  /** Compiles a user expression into a function (for map and filter). */
  compile(source: string): (x: unknown) => unknown;
  /** The stage's grep options and patterns as a predicate over a record. */
  matcher(): (x: unknown) => boolean;
  /** A record as text, for expressions (a line kept as bytes is decoded). */
  text(x: unknown): unknown;
  /** ASCII upper or lower case of a record. */
  asciiCase(c: 'upper' | 'lower'): (x: unknown) => unknown;
  /** --strict. */
  strict: boolean;
  /** Reports a line on stderr. */
  report(message: string): void;
}

/**
 * A chain as a stage builder sees it: the chaining API's steps that stages
 * use. (Structural, so that processes need not import the API above them.)
 */
export interface StageChain {
  map(f: (x: unknown) => unknown): StageChain;
  grep(p: (x: unknown) => unknown): StageChain;
  take(n: number): StageChain;
  drop(n: number): StageChain;
  count(): StageChain;
  sum(): StageChain;
  uniq(): StageChain;
  jsonl(options: { strict?: boolean; report?: (error: Error) => void }): StageChain;
  split(separator?: string): StageChain;
  fields(list: string, separator?: string): StageChain;
}

/** A command-line stage carried out by this process. */
export interface Stage {
  name: string;
  /** The stage as the help shows it: `take N`. */
  synopsis: string;
  /** Its lines in the help, as wrapped there; absent when listed with the stage before (upper, lower). */
  help?: readonly string[];
  args: StageArgs;
  /**
   * Appends the stage to a chain of records. Absent for stages that only work
   * on bytes before the records (tr) or that the command line places itself (lines).
   */
  build?: (chain: StageChain, args: string[], context: StageContext) => StageChain;
}

export interface Manifest<P = Params, S = State> {
  definition: Definition<P, S>;
  /**
   * The plain reference implementation: what the process gives for an input
   * (an array, or one array per input for fan-in and zip) and its parameters.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reference(input: any, params: P): unknown;
  /** Its equivalence cases: at least one. */
  cases: readonly Case<P>[];
  /** The command-line stages it carries out, if any. */
  stages?: readonly Stage[];
}

// Methods rather than function-valued fields (reference, expected, members),
// so that every manifest fits the registry's Manifest whatever its P.

/**
 * Every manifest made, by process class name, in the order made: the order of
 * processes/index.ts, which imports every process. Read it through
 * processes/registry.ts, which makes sure they are all loaded.
 */
export const manifests = new Map<string, Manifest>();

/** The manifest of `definition` (its parameters' types taken from it), registered. */
export function manifestOf<P extends Params, S extends State>(definition: Definition<P, S>, rest: Omit<Manifest<NoInfer<P>, NoInfer<S>>, 'definition'>): Manifest<P, S> {
  const m: Manifest<P, S> = { definition, ...rest };
  if (manifests.has(definition.name)) throw new Error(`process ${definition.name} has two manifests`);
  if (m.cases.length === 0) throw new Error(`process ${definition.name}: a manifest needs at least one equivalence case`);
  manifests.set(definition.name, m);
  return m;
}

// Inputs for cases, drawn from a seed.

const WORDS = ['alpha', 'beta', 'gamma', 'zoë', '', '42', '7', 'x y', ' lead', 'trail ', '{"a":1}', '[1,2]', 'null', '{bad'];

/** Records as lines of text come: words joined by spaces or commas, some empty, some JSON. */
export function records(r: Random, n = 200): string[] {
  return Array.from({ length: int(r, n) }, () => {
    const k = 1 + int(r, 4);
    return Array.from({ length: k }, () => WORDS[int(r, WORDS.length)]).join(r() < 0.3 ? ',' : ' ');
  });
}

const PIECES = ['a', 'bc', 'hello world', '', 'zoë', '李雷', '😀', 'x'.repeat(300), ' ', '\t', 'ω'];
const BREAKS = ['\n', '\r\n', '\n\n', '\r', '\r\r\n'];

/** Text with every kind of line break, cut into chunks of random sizes (strings). */
export function textChunks(r: Random): string[] {
  let text = '';
  for (let i = int(r, 60); i > 0; i--) {
    text += PIECES[int(r, PIECES.length)];
    if (r() < 0.5) text += BREAKS[int(r, BREAKS.length)];
  }
  // Cut between characters: a chunk of text is whole characters (byte chunks may cut one).
  const chars = Array.from(text);
  const chunks: string[] = [];
  for (let at = 0; at < chars.length;) {
    const k = 1 + int(r, 40);
    chunks.push(chars.slice(at, at + k).join(''));
    at += k;
  }
  return chunks;
}

/** Byte values. */
export function bytes(r: Random, n = 600): number[] {
  return Array.from({ length: int(r, n) }, () => int(r, 256));
}
