// The worker's side of a parallel chain: the per-element steps it was sent,
// built from the registry by name with parameters it checks itself
// (transport/portable-params.ts), connected into one chain that the JIT fuses,
// and run over every chunk that arrives on the input ring. Each chunk's
// outputs (or, with a partial reduction, one partial result) go back on the
// output ring as one chunk, so the asking thread knows the k-th chunk out
// answers the k-th chunk in.
//
// Before the first chunk, the host resolves the module references among the
// steps' parameters from its own project folder (transport/modules.ts): a
// module that is not found, a package in another version or a missing export
// refuses the whole job, with everything that is missing listed, as the error
// that ends the output ring.
//
// A step's user function that throws ends the output ring with an error
// naming the step and this host; the asking thread reports it. Nothing else of
// the worker stops: other jobs on it go on. Under a chain's error policy of
// retry or skip (the request's `policy`), the worker applies it itself, as one
// thread would (api/guarded.ts): a call is tried again, then its element is
// dropped (a map becomes filterMap, a predicate says false, a fold keeps its
// accumulator), and what was dropped goes back after the chunk's outputs.
import type { CallbackRole } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import { describe, SKIP } from '../engine/policy.js';
import { Process } from '../engine/process.js';
import { filterMap } from '../processes/elements/filter-map.js';
import { map } from '../processes/elements/map.js';
import { readNumber } from '../processes/bytes/numbers.js';
import { registry } from '../processes/registry.js';
import { fold } from '../processes/sinks/fold.js';
import { from } from '../processes/sources/from.js';
import { decodeValues } from './codec.js';
import { resolveModuleReferences, type ModuleReference } from './modules.js';
import type { ChunkSkips, ParallelRequest, PartialSpec, SkipReport, WorkerPolicy } from './parallel-messages.js';
import { referenceKey, referencesIn, unpackParams, type ImportedFunction } from './portable-params.js';
import { RingReader } from './ring-reader.js';
import { RingWriter } from './ring-writer.js';
import { catching } from './caught.js';

/** An error thrown by a step's user function, with the step and the host in its message. */
export class StepError extends Error {
  override name = 'StepError';
}

interface Built {
  /** Pushes xs[0, n) through the fused steps and returns the outputs (valid until the next push). */
  push(xs: ArrayLike<unknown>): unknown[] | Int32Array | Float64Array;
}

/**
 * The elements dropped under a skipping policy, for the chunk being pushed:
 * each guarded function counts its calls from 0 in every chunk.
 */
class Skips {
  reports: SkipReport[] = [];
  private readonly counters: { calls: number; readonly id: number }[] = [];

  counter(): { calls: number; readonly id: number } {
    const c = { calls: 0, id: this.counters.length };
    this.counters.push(c);
    return c;
  }

  /** What the chunk just pushed says: each counter's calls, and the reports. */
  ofChunk(): ChunkSkips {
    return { calls: this.counters.map((c) => c.calls), reports: this.reports };
  }

  /** A new chunk: no reports, and every count back to 0. */
  startChunk(): void {
    if (this.reports.length > 0) this.reports = [];
    for (const c of this.counters) c.calls = 0;
  }
}

/**
 * Serves one parallel job on this worker until its input ends. `root` is the
 * folder module references resolve from (this host's project).
 */
export function runChunks(io: IO, host: number, request: ParallelRequest, root: string): void {
  // Lent: a chunk is pushed through the steps, and its outputs copied out, before the next read frees its space.
  const reader = new RingReader(request.input, { lend: true });
  const writer = new RingWriter(request.output, `parallel job on host ${host}`);
  void serve(io, host, request, root, reader, writer).catch(() => undefined);
}

async function serve(io: IO, host: number, request: ParallelRequest, root: string, reader: RingReader, writer: RingWriter): Promise<void> {
  let built: Built;
  const skips = new Skips();
  const reporting = request.policy?.then === 'skip';
  try {
    const imported = await importReferences(request, host, root);
    const partial = request.partial === undefined ? undefined : reducer(request.partial, host, imported, request.policy, skips);
    built = build(io, host, request, imported, skips, partial);
  } catch (e) {
    reader.close();
    await writer.error(e);
    return;
  }
  for (;;) {
    const r = await reader.next();
    if (r.kind === 'end') {
      if (r.reason === 'end') await writer.end();
      else if (r.reason === 'error') await writer.error(r.error);
      else writer.reset(r.detail);
      return;
    }
    let out: unknown[] | Int32Array | Float64Array;
    try {
      skips.startChunk();
      out = built.push(r.data);
    } catch (e) {
      reader.close();
      await writer.error(e);
      return;
    }
    // A typed run of numbers, or an array of values (through the codec). Sent before the next push reuses the run.
    await writer.send(out);
    if (reporting) await writer.send([skips.ofChunk()]);
  }
}

/**
 * The host's check before it accepts the job: every module reference of the
 * steps (and of a fold's function) resolves here. Throws
 * MissingDependenciesError listing all that is missing.
 */
async function importReferences(request: ParallelRequest, host: number, root: string): Promise<ImportedFunction> {
  const refs: ModuleReference[] = request.stages.flatMap((s) => referencesIn(s.params));
  if (request.partial?.kind === 'fold') refs.push(...referencesIn({ f: request.partial.f }));
  if (refs.length === 0) return () => undefined;
  const steps = request.stages.map((s) => s.step).join(', ');
  const functions = await resolveModuleReferences(refs, root, `${steps === '' ? 'parallel steps' : steps} on host ${host}`);
  const byKey = new Map(refs.map((r, i) => [referenceKey(r), functions[i]]));
  return (reference) => byKey.get(referenceKey(reference));
}

function build(io: IO, host: number, request: ParallelRequest, imported: ImportedFunction, skips: Skips, partial: Partial | undefined): Built {
  const source = new Process(io, from, { xs: [] });
  let tail = source;
  for (const stage of request.stages) {
    const manifest = registry.get(stage.name);
    if (manifest === undefined) throw new RangeError(`host ${host}: no registered process named ${JSON.stringify(stage.name)}`);
    const where = `${stage.step} on host ${host}`;
    const params = unpackParams(stage.params, stage.name, where, imported);
    let definition = manifest.definition;
    for (const [key, value] of Object.entries(params)) {
      if (typeof value !== 'function') continue;
      const f = value as (...args: unknown[]) => unknown;
      const role = definition.callbacks.get(key);
      params[key] = request.policy === undefined || role === undefined ? named(f, where) : guarded(f, role, request.policy, where, skips);
    }
    // A map that skips must be able to drop its element, as on one thread (api/guarded.ts).
    if (definition === map && request.policy?.then === 'skip') {
      definition = filterMap;
      params.skip = SKIP;
    }
    const p = new Process(io, definition, params);
    if (stage.step !== stage.name) p.nameStep(stage.step);
    tail.connect('out', p, 'in');
    tail = p;
  }
  // With a partial result, the chain ends in a fold that the JIT fuses into the same loop: no array of outputs is made.
  // Without one, the outputs are gathered by a fold too, into a typed run while they are numbers (gather, below).
  const gathered = partial === undefined ? new Gathered() : undefined;
  const sink = partial === undefined ? new Process(io, fold, { f: gather, seed: gathered }) : new Process(io, fold, { f: partial.f, seed: partial.seed() });
  tail.connect('out', sink, 'in');
  // The fused chain from the source's port: the same entries an array source's pump calls.
  return {
    push(xs) {
      const admit = source.entry('out>', 'admittance').ready();
      const flow = source.entry('out>', 'flow').ready();
      gathered?.start(xs.length);
      let pos = 0;
      while (pos < xs.length) {
        const k = admit(xs.length - pos);
        if (k === 0) throw new Error(`host ${host}: the parallel steps stopped admitting (${request.stages.map((s) => s.step).join(', ')})`);
        // Not promised stable: a lent chunk is the ring's memory, reused after this push.
        flow(xs, pos, k);
        pos += k;
      }
      if (partial !== undefined) {
        const result = sink.state.acc;
        // A fresh seed for every chunk: a fold that changes its accumulator must not see another chunk's.
        sink.state.acc = partial.seed();
        return [result];
      }
      // Numbers go out as the typed run they were gathered in (the writer copies it into the ring before the next push).
      return gathered!.outputs();
    },
  };
}

/**
 * A chunk's outputs, gathered without a partial result: into a Float64Array
 * kept for the whole job while they are numbers (and fit), else, from the
 * first one that is not, into an array of them all, in order. An array grown
 * from empty for every chunk and dropped once sent was most of what a worker
 * allocated (a young collection every 35 or so chunks of 4,096), and each
 * element then went through the writer's check of what kind of run it is;
 * here a number is one store, and the run is checked once, where it is
 * narrowed to int32 as a plain array of the same numbers would be
 * (records.ts, outgoing). So the ring carries the same frames as before.
 */
class Gathered {
  floats = new Float64Array(0);
  private ints = new Int32Array(0);
  k = 0;
  spilled: unknown[] | null = null;

  /** A new chunk of `n` inputs: room for as many outputs (a step that makes more spills). */
  start(n: number): void {
    if (this.floats.length < n) this.floats = new Float64Array(n);
    this.k = 0;
    this.spilled = null;
  }

  /** From here on, an array: the numbers gathered so far, then `x` and everything after it. */
  spill(x: unknown): void {
    if (this.spilled === null) {
      const out = new Array<unknown>(this.k);
      for (let i = 0; i < this.k; i++) out[i] = this.floats[i];
      this.spilled = out;
    }
    this.spilled.push(x);
  }

  /** The chunk's outputs: an array once spilled, else an int32 run when every number is an int32 (and not -0), else a float64 run. */
  outputs(): unknown[] | Int32Array | Float64Array {
    if (this.spilled !== null) return this.spilled;
    const { floats, k } = this;
    for (let i = 0; i < k; i++) {
      const x = floats[i];
      if ((x | 0) !== x || (x === 0 && 1 / x < 0)) return floats.subarray(0, k);
    }
    if (this.ints.length < k) this.ints = new Int32Array(floats.length);
    const ints = this.ints;
    for (let i = 0; i < k; i++) ints[i] = floats[i];
    return ints.subarray(0, k);
  }
}

// One function for every job (see countOne below): the fold's step that gathers an output.
const gather = (acc: unknown, x: unknown): unknown => {
  const g = acc as Gathered;
  if (g.spilled === null && typeof x === 'number' && g.k < g.floats.length) g.floats[g.k++] = x;
  else g.spill(x);
  return g;
};

/** The user's function, its throws reported as a StepError naming the step and the host. */
function named(f: (...args: unknown[]) => unknown, where: string): (...args: unknown[]) => unknown {
  return catching(f, (e) => {
    throw new StepError(`${where}: ${describe(e)}`, { cause: e });
  });
}

/**
 * The user's function under the chain's error policy: tried again `retry`
 * times, then its element dropped (what a dropped call returns depends on its
 * role, as on one thread: false for a predicate, the accumulator for a
 * reducer, SKIP for a mapper) and reported, or the job failed with a StepError.
 */
function guarded(f: (...args: unknown[]) => unknown, role: CallbackRole, policy: WorkerPolicy, where: string, skips: Skips): (...args: unknown[]) => unknown {
  const counter = skips.counter();
  const failed = (cause: unknown, index: number, attempts: number, acc: unknown): unknown => {
    if (policy.then === 'abort') {
      throw new StepError(`${where}: user code threw at element ${index} of its chunk${attempts > 1 ? ` (after ${attempts} attempts)` : ''}: ${describe(cause)}`, { cause });
    }
    const error = cause instanceof Error ? cause : undefined;
    skips.reports.push({ step: where, counter: counter.id, index, attempts, name: error?.name ?? 'Error', message: error === undefined ? String(cause) : error.message });
    return role === 'predicate' ? false : role === 'reducer' ? acc : SKIP;
  };
  // Fixed arities, as the engine's guard: no rest arguments in the hot path.
  if (role === 'reducer') {
    return (a: unknown, b: unknown) => {
      const index = counter.calls++;
      for (let attempt = 0; ; attempt++) {
        try {
          return f(a, b);
        } catch (cause) {
          if (attempt < policy.retry) continue;
          return failed(cause, index, attempt + 1, a);
        }
      }
    };
  }
  return (x: unknown) => {
    const index = counter.calls++;
    for (let attempt = 0; ; attempt++) {
      try {
        return f(x);
      } catch (cause) {
        if (attempt < policy.retry) continue;
        return failed(cause, index, attempt + 1, undefined);
      }
    }
  };
}

/** A chunk's partial result as a fold: its function, and a fresh seed for each chunk. */
interface Partial {
  readonly f: (acc: unknown, x: unknown) => unknown;
  readonly seed: () => unknown;
}

// One function each for every job, not one per job: the fused chain is shared by shape, and a new target at its call site each job would keep V8 from inlining it.
const countOne = (n: unknown): unknown => (n as number) + 1;
const addNumber = (total: unknown, x: unknown): unknown => (total as number) + readNumber(x);

function reducer(spec: PartialSpec, host: number, imported: ImportedFunction, policy: WorkerPolicy | undefined, skips: Skips): Partial {
  switch (spec.kind) {
    case 'count':
      return { f: countOne, seed: () => 0 };
    case 'sum': {
      // On one thread sum is a fold of readNumber, under the chain's policy like any fold (api/chain.ts).
      return { f: policy === undefined ? addNumber : guarded(addNumber, 'reducer', policy, `sum on host ${host}`, skips), seed: () => 0 };
    }
    case 'fold': {
      const where = `fold on host ${host}`;
      const user = unpackParams({ f: spec.f }, 'fold', where, imported).f as (...args: unknown[]) => unknown;
      return { f: policy === undefined ? named(user, where) : guarded(user, 'reducer', policy, where, skips), seed: () => decodeValues(spec.seed)[0] };
    }
  }
}
