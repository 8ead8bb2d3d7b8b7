// chain.parallel(n) and chain.on(worker): the per-element steps after it run
// on worker hosts of the container's pool (transport/worker-pool.ts), the rest
// after the merge on this thread. See docs/workers.md, "Running a chain in
// parallel".
//
// A parallel section is the chain before it (the source side), the steps
// recorded after it, and, once a step that cannot run per chunk (or a sink)
// follows, the merge: an `input` source on this thread whose reader is the
// ParallelRun (transport/parallel-run.ts). Nothing starts until that source is
// read: then the source side runs, into a sink that cuts chunks, or, for an
// array no step has touched, straight from the array.
import type { Definition } from '../engine/definition.js';
import { admitWith, chunk, define, value } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { aborted, Run, runOf } from '../engine/run.js';
import { errorOf } from '../engine/ports.js';
import { flatMap } from '../processes/elements/flat-map.js';
import { grep } from '../processes/elements/grep.js';
import { map } from '../processes/elements/map.js';
import { stringify } from '../processes/elements/stringify.js';
import { input } from '../processes/sources/input.js';
import { collectRuns, expectAtMost } from '../processes/sinks/collect-runs.js';
import type { Reader } from '../processes/sources/readers.js';
import { encodeValues } from '../transport/codec.js';
import type { PartialSpec, StageSpec, WorkerPolicy } from '../transport/parallel-messages.js';
import { UserCodeError } from '../engine/policy.js';
import { ParallelRun, type ParallelRunOptions, type ParallelStats } from '../transport/parallel-run.js';
import { packParams } from '../transport/portable-params.js';
import { byReference, referenceOf } from '../freezer/references.js';
import { moduleReference, resolveModuleReferences } from '../transport/modules.js';
import { WorkerPool } from '../transport/worker-pool.js';
import type { WorkerHost } from '../transport/worker-host.js';
import type { Chain } from './chain.js';
import { policyOf, setPolicy } from './guarded.js';
import { kick } from '../realm/engine.js';
import { raiseError } from '../realm/protocols.js';

export interface ParallelOptions {
  /** true (default): outputs in source order; false: as workers answer. */
  ordered?: boolean;
  /** Equal keys run on one worker (in source order per key). It runs on this thread, to choose the worker. */
  key?: (x: never) => unknown;
  /** Elements per chunk (default 1024). */
  chunk?: number;
  /** Chunks per worker sent and not yet taken downstream (default 4). */
  inFlight?: number;
  /** How many lost workers may be replaced by fresh ones during the run (default 0). */
  restart?: number;
}

// ---------------------------------------------------------------- the pool of a container

const pools = new WeakMap<IO, WorkerPool>();

/** How a container's workers are started: the worker script, and the folder they resolve module references from. */
export interface WorkerSetup {
  script?: string | URL;
  root?: string;
}

/** What a container's last pool was set up with: a pool made again after io.close() starts its workers the same way. */
const setups = new WeakMap<IO, WorkerSetup>();

/** Gives `io` a pool of `n` workers (started when first used); replaces a pool that was never started. */
export function setWorkers(io: IO, n: number, setup: WorkerSetup = setups.get(io) ?? {}): WorkerPool {
  const old = pools.get(io);
  if (old !== undefined && !old.isClosed) {
    if (old.hosts().some((h) => h !== undefined)) throw new Error(`workers: the container already has ${old.size} running workers; call io.close() first`);
  }
  setups.set(io, setup);
  const pool = new WorkerPool({ size: n, owner: io.host, ...setup });
  pools.set(io, pool);
  return pool;
}

/** The pool of `io`, if it has one. */
export function poolOf(io: IO): WorkerPool | undefined {
  return pools.get(io);
}

/** Stops the pool's workers; idempotent. */
export async function closeWorkers(io: IO): Promise<void> {
  await pools.get(io)?.close();
}

function poolFor(io: IO, n: number, step: string): WorkerPool {
  let pool = pools.get(io);
  // A container without workers gets a pool of the size first asked for.
  if (pool === undefined || pool.isClosed) pool = setWorkers(io, n);
  if (n > pool.size) throw new RangeError(`${step}: ${n} workers asked for, but the container has ${pool.size} (new IO({ workers: ${n} }) or io.workers(${n}))`);
  return pool;
}

// ---------------------------------------------------------------- module references

/**
 * The export `exportName` of `module`, imported on this thread from `root`
 * (the project folder, by default the working directory) with the check a
 * worker makes, and marked as that module reference (byReference) with the
 * version installed here: a step of parallel() given it sends the reference,
 * and each worker imports the same export after checking that its own
 * project has that version. Throws MissingDependenciesError as a worker would.
 */
export async function importFunction<F extends (...args: never[]) => unknown>(module: string, exportName: string, root: string = process.cwd()): Promise<F> {
  const reference = moduleReference(module, exportName, root);
  const [f] = await resolveModuleReferences([reference], root, `importFunction(${JSON.stringify(module)}, ${JSON.stringify(exportName)})`);
  return byReference(f as unknown as F, reference);
}

// ---------------------------------------------------------------- which steps run per chunk

/** The steps that run per element, so per chunk on a worker. */
export const PER_ELEMENT = new Set<Definition>([map, grep, flatMap, stringify]);

/** Those of them that make exactly one output per input, by name. */
const ONE_FOR_ONE = new Set([map.name, stringify.name]);

// ---------------------------------------------------------------- a section

export class ParallelSection {
  readonly stages: StageSpec[] = [];
  private partial: PartialSpec | undefined;
  private made: Process | undefined;
  private run: ParallelRun | undefined;
  private readonly slots: number[];
  private readonly pool: WorkerPool;

  constructor(
    readonly io: IO,
    /** The chain before parallel(): the source side. */
    private readonly upstream: Chain<unknown>,
    readonly name: string,
    slots: number[],
    private readonly options: ParallelOptions,
  ) {
    this.pool = poolFor(io, Math.max(...slots) + 1, name);
    this.slots = slots;
    if (options.key !== undefined && typeof options.key !== 'function') throw new TypeError(`${name}: key must be a function, got ${typeof options.key}`);
    positive(options.chunk ?? 1024, `${name}: chunk`);
    positive(options.inFlight ?? 4, `${name}: inFlight`);
    if (options.restart !== undefined && !(Number.isInteger(options.restart) && options.restart >= 0)) {
      throw new RangeError(`${name}: restart must be a count >= 0, got ${String(options.restart)}`);
    }
  }

  /** True once the merge exists: steps added from then on run on this thread. */
  get closed(): boolean {
    return this.made !== undefined;
  }

  /**
   * Records a step to run on the workers if it runs per element; returns
   * false for a step that must run after the merge. A function marked as a
   * module's export (byReference, importFunction) goes as that reference; any
   * other function that is not portable is refused here, naming the free
   * name, the function and the step.
   */
  add(def: Definition, params: Record<string, unknown>, step: string): boolean {
    if (this.closed || !PER_ELEMENT.has(def)) return false;
    const label = `${step} (step ${this.stages.length + 1} of ${this.name})`;
    this.stages.push({ name: def.name, step, params: packParams(params, label, referenceOf) });
    return true;
  }

  /**
   * Each chunk's outputs reduce to one partial result on the worker (reducers
   * with a combiner). Returns false once the merge exists: the reducer then
   * runs on this thread over the merged stream.
   */
  reduceEach(partial: { kind: 'fold'; f: (acc: never, x: never) => unknown; seed: unknown } | { kind: 'count' } | { kind: 'sum' }, step: string): boolean {
    if (this.closed) return false;
    if (partial.kind === 'fold') {
      const label = `${step} (after ${this.name})`;
      this.partial = { kind: 'fold', f: packParams({ f: partial.f }, label, referenceOf).f, seed: encodeValues([partial.seed]) };
    } else {
      this.partial = partial;
    }
    return true;
  }

  /** The merge: a source on this thread that gives the workers' outputs (made once). */
  merged(): Process {
    return (this.made ??= this.makeMerge());
  }

  /** The run's bounds and counts (after it started). */
  get stats(): ParallelStats | undefined {
    return this.run?.stats;
  }

  /** The hosts the lanes run on now (after it started). */
  hosts(): WorkerHost[] {
    return this.run?.hosts() ?? [];
  }

  /**
   * The error policy of the chain before parallel(). An array that no step
   * has touched has none, and asking its chain for its source would make the
   * source process, which is what keeps the array from being cut directly
   * (feed): so it is not asked.
   */
  private upstreamPolicy(): ReturnType<typeof policyOf> {
    return this.upstream.untouchedArray ? undefined : policyOf(this.upstream.source);
  }

  private makeMerge(): Process {
    const section = this;
    let started = false;
    let sized = false;
    const reader: Reader = {
      bytes: false,
      name: this.name,
      async read(max) {
        const run = section.start();
        if (!started) {
          started = true;
          section.feed(run);
        }
        // Runs of numbers stay typed only into a collectRuns right after the
        // merge: it keeps them as they are and makes the array once at the end.
        // Any other step gets arrays, the elements every process expects.
        const into = merge.peer('out')?.process;
        if (into?.def !== collectRuns) return run.read(max);
        if (!sized) {
          sized = true;
          // How many outputs may come at most, when that is known: their array is made during the run, not after it.
          const most = section.outputsAtMost();
          if (most !== undefined) expectAtMost(into as Parameters<typeof expectAtMost>[0], most);
        }
        return run.read(max, true) as Promise<unknown[] | null>;
      },
      async close() {
        section.run?.cancel();
      },
    };
    const merge = new Process(this.io, input, { reader, chunkSize: 1 << 16 }).nameStep('parallel');
    // The steps after the merge are under the chain's error policy, as they would be without parallel().
    const policy = this.upstreamPolicy();
    if (policy !== undefined) setPolicy(merge, policy.policy, policy.report);
    return merge;
  }

  /**
   * The most outputs the merge can give, when it is known: the length of an
   * array that no step has touched, through steps that each make one output
   * per input (one fewer when a skipping policy drops an element), without a
   * partial result.
   */
  outputsAtMost(): number | undefined {
    if (this.partial !== undefined || !this.upstream.untouchedArray) return undefined;
    if (!this.stages.every((s) => ONE_FOR_ONE.has(s.name))) return undefined;
    return this.upstream.array!.length;
  }

  /**
   * Under onError('realm'), a failure on a worker (a step threw, or the host
   * was lost and no restart is left) is raised as `#error` in the realm of the
   * merge, and its reply decides (transport/parallel-run.ts, supervise).
   */
  private supervisor(): ParallelRunOptions['supervise'] {
    if (this.upstreamPolicy()?.policy !== 'realm') return undefined;
    return async (failure) => {
      const realm = this.made!.realm;
      if (realm.stopped) return 'abort';
      const decision = raiseError(realm, { process: this.run!.label, port: 'in', index: failure.seq, cause: failure.error, attempts: failure.attempts });
      kick(realm.world);
      return decision;
    };
  }

  /**
   * Under onError('skip') or { retry, then } (called before parallel), the
   * workers apply the policy to the steps' functions themselves, and tell
   * what they dropped: reported here, in merge order, as one thread would
   * report it (a UserCodeError naming the step, its host and the chunk).
   */
  private workerPolicy(): Pick<ParallelRunOptions, 'policy' | 'skipped'> {
    const config = this.upstreamPolicy();
    const policy = config?.policy;
    if (policy === undefined || policy === 'abort' || policy === 'realm') return {};
    const onWorkers: WorkerPolicy = policy === 'skip' ? { retry: 0, then: 'skip' } : { retry: policy.retry, then: policy.then ?? 'abort' };
    const report = config!.report ?? ((error: UserCodeError) => process.emitWarning(error.message, 'PushbackSkipped'));
    return {
      policy: onWorkers,
      skipped: (reports, seq) => {
        for (const r of reports) {
          const cause = new Error(r.message);
          cause.name = r.name;
          report(new UserCodeError(`${r.step} (chunk ${seq})`, r.index, cause, r.attempts));
        }
      },
    };
  }

  private start(): ParallelRun {
    const steps = this.stages.map((s) => s.step).join(', ');
    return (this.run ??= new ParallelRun({
      ...this.workerPolicy(),
      hosts: this.pool,
      slots: this.slots,
      stages: this.stages,
      partial: this.partial,
      ordered: this.options.ordered ?? true,
      key: this.options.key as ((x: unknown) => unknown) | undefined,
      chunkSize: this.options.chunk ?? 1024,
      inFlight: this.options.inFlight ?? 4,
      restart: this.options.restart ?? 0,
      label: `${this.name}${steps === '' ? '' : ` of ${steps}`}`,
      supervise: this.supervisor(),
    }));
  }

  /** Starts the source side. */
  private feed(run: ParallelRun): void {
    const up = this.upstream;
    if (up.untouchedArray) {
      // A key that throws fails the run, as it would in the sink that cuts chunks.
      feedArray(run, up.array!).catch((e: unknown) => run.fail(e));
      return;
    }
    const sink = new Process(this.io, scatter, { run });
    up.tail.connect(up.tailPort, sink, 'in');
    run.onStop = () => {
      if (!sink.isEnded('in')) sink.end('in');
    };
    // Errors upstream fail the merge with the same error.
    Run.of(sink, () => undefined).start().catch((e: unknown) => run.fail(e));
  }
}

/** An array no step has touched goes to the workers straight from the array. */
async function feedArray(run: ParallelRun, xs: readonly unknown[]): Promise<void> {
  let pos = 0;
  while (pos < xs.length) {
    if (run.failed || run.stopped) return;
    const k = run.admittance(Math.min(xs.length - pos, 1 << 16));
    if (k === 0) {
      await run.whenRoom();
      continue;
    }
    run.write(xs, pos, k);
    pos += k;
  }
  run.end();
}

/** The source side's sink: it takes what the run admits, and wakes its writer when the consumer frees room. */
export const scatter = define('scatter', {
  ports: ['in'],
  inputs: ['in'],
  params: { run: value<ParallelRun>() },
  state: { waiting: () => false, done: () => false },
  onEnd: (s) => {
    s.state.done = true;
    // An input cut by an error (upstream, or this sink's own flow) is not the end of the stream: the merge fails with it.
    if (aborted(s)) s.params.run.fail(runOf(s)?.error ?? errorOf(s.fault) ?? new Error(`${s.params.run.label}: the source side was cut`));
    else s.params.run.end();
  },
})
  .admittance('>in', admitWith((s, n) => {
    const k = s.params.run.admittance(n);
    if (k === 0 && !s.state.waiting && !s.params.run.stopped) {
      s.state.waiting = true;
      void s.params.run.whenRoom().then(() => {
        s.state.waiting = false;
        s.writableAgain('in');
      });
    }
    return k;
  }))
  .flow('>in', chunk((s, xs, offset, n) => {
    if (xs instanceof Uint8Array) throw new TypeError(`${s.params.run.label}: a byte stream cannot be cut into elements; use lines() (or another framing) before parallel()`);
    s.params.run.write(xs, offset, n);
    return n;
  }));

function positive(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${String(n)}`);
}
