// Running per-element steps on several worker hosts: the thread that owns the
// chain cuts the stream into numbered chunks, sends each to a worker (the least
// busy one, or by key so that equal keys meet one worker), and merges what comes back in
// sequence order (or as it comes). See docs/workers.md, "Running a chain in
// parallel".
//
// Sequence numbers are the merge's only truth. A chunk gets its number when it
// is opened, so the order of numbers is the order of the source; each worker
// answers its chunks in the order it got them, one chunk out per chunk in, so
// the k-th answer on a lane is for the k-th chunk sent on it. A lane keeps
// every chunk it sent until the answer is in: when its worker is lost and a
// restart is allowed, a fresh worker gets them again, and an answer for a
// number already answered is dropped.
//
// Memory is bounded by credit in two places: at most `budget` source elements
// are held between the source and the consumer (admittance is what is left of
// it), and each lane has at most `inFlight` chunks sent whose outputs the
// consumer has not taken. Nothing is released before the consumer takes it, so
// a slow consumer stops the workers and then the source.
import { hostIndex } from '../engine/address.js';
import type { ChunkSkips, ParallelRequest, PartialSpec, SkipReport, StageSpec, WorkerPolicy } from './parallel-messages.js';
import { RingReader } from './ring-reader.js';
import { createRing } from './ring-layout.js';
import { numberRun } from './records.js';
import { RingWriter } from './ring-writer.js';
import { hostLost, type Attachment } from './supervise.js';
import type { WorkerHost } from './worker-host.js';

/** Where the lanes get their hosts: a pool slot's host, and a fresh one for it. */
export interface HostSource {
  host(slot: number): WorkerHost;
  replace(slot: number): WorkerHost;
}

export interface ParallelRunOptions {
  hosts: HostSource;
  /** The pool slots to run on, one lane each. */
  slots: readonly number[];
  stages: readonly StageSpec[];
  partial?: PartialSpec;
  /** true: outputs in source order; false: as they come. */
  ordered: boolean;
  /** Equal keys go to one lane. */
  key?: (x: unknown) => unknown;
  /** Elements per chunk. */
  chunkSize: number;
  /** Chunks per lane sent and not yet taken by the consumer. */
  inFlight: number;
  /** Lost workers that may be replaced, in all. */
  restart: number;
  /** Names the steps in messages, for example `parallel(map, filter)`. */
  label: string;
  /** Bytes of each ring. */
  ringBytes?: number;
  /**
   * Asked about a failure when no restart is left (the chain is supervised by
   * a realm: `#error`): 'retry' runs the chunks that were not answered again
   * (on a fresh worker if the host was lost), 'skip' drops the chunk the
   * failure was in and goes on, 'abort' fails the run.
   */
  supervise?: (failure: Failure) => Promise<'retry' | 'skip' | 'abort'>;
  /** The chain's error policy of retry or skip, applied on the workers to the steps' functions. */
  policy?: WorkerPolicy;
  /**
   * Told, in source order, about the elements the workers dropped under a
   * skipping policy: each chunk's reports once it and every chunk before it
   * have answered (with an ordered merge, as its outputs go to the consumer).
   * A report's `index` is the element's position in its step's whole input,
   * as one thread gives it.
   */
  skipped?: (reports: readonly SkipReport[], seq: number) => void;
}

/** What went wrong on a lane, as a supervisor is told. */
export interface Failure {
  readonly error: Error;
  /** The chunk the failure was in: the first one its lane had not answered. */
  readonly seq: number;
  /** How many times this chunk has failed so far (1 for the first report). */
  readonly attempts: number;
  /** True when the host was lost, false when a step threw. */
  readonly hostLost: boolean;
}

/** A lost host, as the merge reports it when no restart is left. */
export class HostLostError extends Error {
  override name = 'HostLostError';
}

interface Chunk {
  readonly seq: number;
  readonly lane: Lane;
  /** A run of numbers when it was cut whole from an array of numbers (numberRun), else the elements. */
  elements: unknown[] | NumberRun;
  /** Outputs, once answered: a typed run (numbers) stays typed until the consumer asks for it (read). */
  outputs?: unknown[] | NumberRun;
  /** How many outputs the consumer has taken. */
  taken: number;
}

interface Lane {
  readonly slot: number;
  host: WorkerHost;
  writer: RingWriter;
  reader: RingReader;
  /** Chunks opened on this lane and not sent yet (the last may still be filling). */
  readonly unsent: Chunk[];
  /** Chunks sent and not answered, in the order sent. */
  sent: Chunk[];
  /** Chunks sent whose outputs the consumer has not all taken. */
  held: number;
  /** Sends in order: each waits for the one before. */
  sending: Promise<void>;
  ended: boolean;
  /** The answers' end came in. */
  finished: boolean;
  /** Bumps with each fresh host, so that a lost host's reader stops. */
  generation: number;
  /** Stops watching the host for its exit (the job is over, or the host was replaced). */
  unwatch: () => void;
}

/** What a run has done, for tests and tools: the bounds it kept. */
export interface ParallelStats {
  chunks: number;
  /** The most chunks one lane ever had sent and not taken. */
  maxHeld: number;
  /** The most source elements ever held between the source and the consumer. */
  maxPending: number;
  /** Workers replaced after they were lost. */
  restarts: number;
  /** Chunks sent again to a fresh worker. */
  resent: number;
  /** Answers dropped because their sequence number was already answered. */
  duplicates: number;
  /** Elements the workers dropped under a skipping policy. */
  skipped: number;
  /** Host index of each lane's current worker. */
  hosts: number[];
  /** Source elements placed on each lane. */
  placed: number[];
}

export class ParallelRun {
  readonly budget: number;
  private readonly lanes: Lane[];
  private nextSeq = 1;
  private rotation = 0;
  private placedInChunk = 0;
  private open: Chunk | undefined;
  private pending = 0;
  private sourceEnded = false;
  private failure: unknown;
  private failedFlag = false;
  private cancelled = false;
  /** Answered chunks, by number, until merged. */
  private readonly answered = new Map<number, Chunk>();
  /** The next number the ordered merge waits for. */
  private nextToMerge = 1;
  /** Chunks ready for the consumer, in the order it gets them. */
  private readonly ready: Chunk[] = [];
  private consumed = 0;
  private restartsLeft: number;
  /** Under a skipping policy: answered chunks whose reports wait for every chunk before them. */
  private readonly unplaced = new Map<number, ChunkSkips | undefined>();
  /** The next chunk whose reports are told. */
  private nextToPlace = 1;
  /** Each guarded function's calls in the chunks before nextToPlace: where a chunk's positions start. */
  private readonly callsBefore: number[] = [];
  /** Failures reported to the supervisor, by chunk number. */
  private readonly attempts = new Map<number, number>();
  private wakeConsumer: (() => void) | undefined;
  private readonly roomWaiters: (() => void)[] = [];
  readonly stats: ParallelStats;
  /** Called once when the run stops early (failed or cancelled): the source side should stop. */
  onStop: (() => void) | undefined;

  constructor(private readonly options: ParallelRunOptions) {
    if (options.slots.length === 0) throw new RangeError(`${options.label}: no worker to run on`);
    this.budget = options.slots.length * options.inFlight * options.chunkSize;
    this.restartsLeft = options.restart;
    this.stats = { chunks: 0, maxHeld: 0, maxPending: 0, restarts: 0, resent: 0, duplicates: 0, skipped: 0, hosts: [], placed: options.slots.map(() => 0) };
    this.lanes = options.slots.map((slot) => this.connect(slot, options.hosts.host(slot), undefined));
  }

  // ------------------------------------------------------------ the source side

  /** How many of `n` elements may be written now. */
  admittance(n: number): number {
    if (this.failedFlag || this.cancelled) return 0;
    return Math.max(0, Math.min(n, this.budget - this.pending));
  }

  /** Resolves when admittance may be above zero again (or the run stopped). */
  whenRoom(): Promise<void> {
    if (this.admittance(1) > 0 || this.failedFlag || this.cancelled) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Takes xs[offset, offset + n); n must not exceed the admittance. */
  write(xs: ArrayLike<unknown>, offset: number, n: number): void {
    const { key, chunkSize } = this.options;
    if (key !== undefined) {
      for (let i = offset; i < offset + n; i++) {
        const x = xs[i];
        const index = laneOf(key(x), this.lanes.length);
        const lane = this.lanes[index];
        let last = lane.unsent[lane.unsent.length - 1];
        if (last === undefined || last.elements.length >= chunkSize) {
          last = this.openChunk(lane);
          lane.unsent.push(last);
        }
        // A keyed chunk is filled element by element: always an array.
        (last.elements as unknown[]).push(x);
        this.stats.placed[index]++;
      }
    } else {
      // Without a key a chunk is a run of the source: copied a run at a time, not an element at a time.
      for (let i = offset; i < offset + n;) {
        if (this.open === undefined) {
          this.open = this.openChunk(this.lanes[this.leastBusyLane()]);
          this.open.lane.unsent.push(this.open);
        }
        const take = Math.min(chunkSize - this.placedInChunk, offset + n - i);
        const elements = this.open.elements as unknown[];
        if (elements.length === 0 && Array.isArray(xs)) {
          // A whole chunk of numbers is held as the typed run it crosses as (outside the heap, one memcpy into the ring).
          const whole = take === chunkSize ? numberRun(xs, i, take) : undefined;
          this.open.elements = whole ?? (xs as unknown[]).slice(i, i + take);
        } else {
          for (let j = i; j < i + take; j++) elements.push(xs[j]);
        }
        i += take;
        this.stats.placed[this.rotation] += take;
        this.placedInChunk += take;
        if (this.placedInChunk >= chunkSize) {
          this.open = undefined;
          this.placedInChunk = 0;
          this.rotation = (this.rotation + 1) % this.lanes.length;
        }
      }
    }
    this.pending += n;
    this.stats.maxPending = Math.max(this.stats.maxPending, this.pending);
    for (const lane of this.lanes) this.dispatch(lane);
  }

  /** The source has ended: the partial chunks go, and then each lane's end. */
  end(): void {
    this.sourceEnded = true;
    this.open = undefined;
    for (const lane of this.lanes) this.dispatch(lane);
    this.notifyConsumer();
  }

  // ------------------------------------------------------------ the consumer side

  /** Up to `max` outputs in merge order, or null once everything is out. Throws the run's error. */
  read(max: number): Promise<unknown[] | null>;
  /**
   * With `typed`, a run of numbers comes as the Float64Array or Int32Array it
   * crossed in (a copy out of the ring), not as an array: for a consumer that
   * takes whole runs and keeps them (a copy of a typed run is one memcpy, and
   * its store lies outside the heap, so the collector never moves it).
   */
  read(max: number, typed: boolean): Promise<unknown[] | NumberRun | null>;
  async read(max: number, typed = false): Promise<unknown[] | NumberRun | null> {
    for (;;) {
      if (this.failedFlag) throw this.failure;
      const head = this.ready[0];
      if (head !== undefined) {
        const outputs = head.outputs!;
        const n = Math.min(max, outputs.length - head.taken);
        const whole = head.taken === 0 && n === outputs.length ? outputs : outputs.slice(head.taken, head.taken + n);
        head.taken += n;
        if (head.taken === outputs.length) this.release(head);
        if (whole.length > 0) return typed || Array.isArray(whole) ? whole : plain(whole);
        continue;
      }
      if (this.sourceEnded && this.consumed === this.nextSeq - 1 && this.lanes.every((l) => l.unsent.length === 0)) return null;
      await new Promise<void>((resolve) => { this.wakeConsumer = resolve; });
    }
  }

  /** The consumer stops early (a take that has enough): the workers' jobs end and the source is told to stop. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stop(`${this.options.label}: the consumer stopped reading`);
  }

  /** Fails the run (an error upstream, or one from a worker). */
  fail(error: unknown): void {
    if (this.failedFlag) return;
    this.failedFlag = true;
    this.failure = error;
    this.stop(`${this.options.label}: the run failed`);
  }

  get failed(): boolean {
    return this.failedFlag;
  }

  /** True once the run failed or was cancelled: nothing more is admitted. */
  get stopped(): boolean {
    return this.failedFlag || this.cancelled;
  }

  get label(): string {
    return this.options.label;
  }

  /** The lanes' hosts now, by lane. */
  hosts(): WorkerHost[] {
    return this.lanes.map((l) => l.host);
  }

  // ------------------------------------------------------------ lanes

  private openChunk(lane: Lane): Chunk {
    this.stats.chunks++;
    return { seq: this.nextSeq++, lane, elements: [], taken: 0 };
  }

  private connect(slot: number, host: WorkerHost, previous: Lane | undefined): Lane {
    const bytes = this.options.ringBytes ?? 1 << 18;
    const input = createRing(bytes);
    const output = createRing(bytes);
    const name = `host ${hostIndex(host.host)} (worker thread ${host.worker.threadId})`;
    host.worker.ref();
    const lane: Lane = previous ?? {
      slot, host, writer: undefined!, reader: undefined!, unsent: [], sent: [], held: 0,
      sending: Promise.resolve(), ended: false, finished: false, generation: 0, unwatch: () => undefined,
    };
    lane.unwatch();
    // A lost worker resets both rings: the reader below sees it whatever it was doing.
    lane.unwatch = watch(host, [{ ring: input, role: 'reader' }, { ring: output, role: 'writer' }]);
    lane.host = host;
    lane.generation++;
    lane.writer = new RingWriter(input, `${this.options.label} to ${name}`);
    // Lent: an answer is copied into a plain array (plain) before the next read frees its space.
    lane.reader = new RingReader(output, { lend: true });
    lane.sending = Promise.resolve();
    lane.ended = false;
    const { stages, partial, policy } = this.options;
    const request: ParallelRequest = { kind: 'parallel', stages, partial, input, output, ...(policy === undefined ? {} : { policy }) };
    host.worker.postMessage(request);
    this.stats.hosts[this.options.slots.indexOf(slot)] = hostIndex(host.host);
    void this.answers(lane, lane.generation, name);
    return lane;
  }

  /**
   * The lane for the next chunk without a key: the one with the fewest chunks
   * queued or held, from the rotation on (so an even race takes turns). A
   * worker that is slower for a while (its core shared with this thread, a
   * longer chunk) gets fewer chunks instead of holding the others back.
   */
  private leastBusyLane(): number {
    let best = this.rotation;
    let load = Infinity;
    for (let k = 0; k < this.lanes.length; k++) {
      const i = (this.rotation + k) % this.lanes.length;
      const lane = this.lanes[i];
      const busy = lane.unsent.length + lane.held;
      if (busy < load) {
        best = i;
        load = busy;
      }
    }
    this.rotation = best;
    return best;
  }

  /** Sends what a lane may send now: whole chunks while it has credit, a partial one when it is idle or the source ended. */
  private dispatch(lane: Lane): void {
    if (this.failedFlag || this.cancelled) return;
    while (lane.unsent.length > 0 && lane.held < this.options.inFlight) {
      const chunk = lane.unsent[0];
      const whole = chunk.elements.length >= this.options.chunkSize;
      const still = chunk === this.open || (lane.unsent.length === 1 && this.options.key !== undefined);
      // A chunk still filling goes early only to keep an idle worker busy (a slow source), or at the end.
      if (!whole && still && !this.sourceEnded && lane.held > 0) break;
      if (!whole && still && !this.sourceEnded && chunk === this.open) {
        this.open = undefined;
        this.placedInChunk = 0;
        this.rotation = (this.rotation + 1) % this.lanes.length;
      }
      lane.unsent.shift();
      this.send(lane, chunk);
    }
    if (this.sourceEnded && lane.unsent.length === 0 && !lane.ended) {
      lane.ended = true;
      const writer = lane.writer;
      lane.sending = lane.sending.then(() => writer.end()).catch(() => undefined);
    }
  }

  private send(lane: Lane, chunk: Chunk): void {
    lane.held++;
    this.stats.maxHeld = Math.max(this.stats.maxHeld, lane.held);
    this.transmit(lane, chunk);
  }

  private transmit(lane: Lane, chunk: Chunk): void {
    lane.sent.push(chunk);
    const writer = lane.writer;
    // A refused send (the ring was reset: the host is lost) is the reader's to report.
    lane.sending = lane.sending.then(() => writer.send(chunk.elements)).catch(() => undefined);
  }

  /** Reads a lane's answers until its end, a failure, or a fresh host taking over. */
  private async answers(lane: Lane, generation: number, name: string): Promise<void> {
    const reader = lane.reader;
    // Under a skipping policy each answer is two records: the outputs, then what was dropped.
    const reports = this.options.policy?.then === 'skip';
    let outputs: unknown[] | NumberRun | undefined;
    for (;;) {
      const r = await reader.next();
      if (lane.generation !== generation) return;
      if (r.kind !== 'end') {
        // A typed run is copied out of the ring as it is (lent: its space is freed by the next read).
        const data = r.kind === 'values' ? r.data : r.kind === 'bytes' ? plain(r.data) : r.data.slice();
        if (reports && outputs === undefined) {
          outputs = data;
          continue;
        }
        const chunk = lane.sent.shift();
        if (chunk === undefined) {
          this.fail(new Error(`${this.options.label}: ${name} answered a chunk it was not sent`));
          return;
        }
        if (reports) {
          this.answer(chunk, outputs!, skipsOf(data));
          outputs = undefined;
        } else {
          this.answer(chunk, data);
        }
        continue;
      }
      if (r.reason === 'end') {
        lane.finished = true;
        this.unref(lane);
        this.notifyConsumer();
        return;
      }
      if (this.failedFlag || this.cancelled) return;
      const hostLost = r.reason === 'reset';
      const error = hostLost ? new HostLostError(`${this.options.label}: ${r.detail}`) : r.error;
      if (hostLost && this.restartsLeft > 0) {
        this.restartsLeft--;
        this.stats.restarts++;
        this.restartLane(lane, true, false);
        return;
      }
      if (this.options.supervise === undefined) {
        this.unref(lane);
        this.fail(error);
        return;
      }
      // 0 when the lost host had nothing unanswered.
      const seq = lane.sent[0]?.seq ?? 0;
      const attempts = (this.attempts.get(seq) ?? 0) + 1;
      this.attempts.set(seq, attempts);
      const decision = await this.options.supervise({ error, seq, attempts, hostLost });
      if (lane.generation !== generation || this.failedFlag || this.cancelled) return;
      if (decision === 'abort') {
        this.unref(lane);
        this.fail(error);
        return;
      }
      this.restartLane(lane, hostLost, decision === 'skip');
      return;
    }
  }

  /**
   * A new job for a lane, on a fresh host when the old one was lost: what was
   * not answered is sent again, in order (but the first such chunk, if
   * `skipFirst`: it is answered with nothing).
   */
  private restartLane(lane: Lane, freshHost: boolean, skipFirst: boolean): void {
    try {
      this.reconnect(lane, freshHost, skipFirst);
    } catch (e) {
      // No host to put in its place (the pool was closed meanwhile): the run fails with why.
      this.unref(lane);
      this.fail(e);
    }
  }

  private reconnect(lane: Lane, freshHost: boolean, skipFirst: boolean): void {
    const again = lane.sent;
    lane.sent = [];
    if (skipFirst && again.length > 0) this.answer(again.shift()!, []);
    this.connect(lane.slot, freshHost ? this.options.hosts.replace(lane.slot) : lane.host, lane);
    this.stats.resent += again.length;
    for (const chunk of again) this.transmit(lane, chunk);
    this.dispatch(lane);
  }

  private answer(chunk: Chunk, outputs: unknown[] | NumberRun, skips?: ChunkSkips): void {
    if (chunk.outputs !== undefined || chunk.seq < this.nextToMerge && this.options.ordered) {
      this.stats.duplicates++;
      return;
    }
    chunk.outputs = outputs;
    if (this.options.policy?.then === 'skip') this.place(chunk.seq, skips);
    if (!this.options.ordered) {
      this.toConsumer(chunk);
    } else {
      this.answered.set(chunk.seq, chunk);
      for (let next = this.answered.get(this.nextToMerge); next !== undefined; next = this.answered.get(this.nextToMerge)) {
        this.answered.delete(this.nextToMerge);
        this.toConsumer(next);
        this.nextToMerge++;
      }
    }
    this.notifyConsumer();
  }

  /** A chunk's turn in the merge: its outputs are ready. */
  private toConsumer(chunk: Chunk): void {
    this.ready.push(chunk);
  }

  /**
   * A chunk answered under a skipping policy: its reports, and those of the
   * chunks after it that were waiting, are told once every chunk before has
   * answered, each with the element's position in its step's whole input
   * (the calls of the chunks before, plus its place in the chunk). A chunk
   * answered with nothing (skipped by a supervisor) counts no calls.
   */
  private place(seq: number, skips: ChunkSkips | undefined): void {
    this.unplaced.set(seq, skips);
    while (this.unplaced.has(this.nextToPlace)) {
      const at = this.nextToPlace++;
      const chunk = this.unplaced.get(at);
      this.unplaced.delete(at);
      if (chunk === undefined) continue;
      const before = this.callsBefore;
      if (chunk.reports.length > 0) {
        const placed = chunk.reports.map((r) => ({ ...r, index: (before[r.counter] ?? 0) + r.index }));
        this.stats.skipped += placed.length;
        this.options.skipped?.(placed, at);
      }
      for (let c = 0; c < chunk.calls.length; c++) before[c] = (before[c] ?? 0) + chunk.calls[c];
    }
  }

  /** The consumer took all of a chunk's outputs: its credit goes back to its lane and to the source. */
  private release(chunk: Chunk): void {
    this.ready.shift();
    this.consumed++;
    this.pending -= chunk.elements.length;
    chunk.outputs = [];
    const lane = chunk.lane;
    lane.held--;
    this.dispatch(lane);
    for (const l of this.lanes) if (l !== lane && l.held === 0) this.dispatch(l);
    const waiters = this.roomWaiters.splice(0);
    for (const w of waiters) w();
  }

  private stop(detail: string): void {
    for (const lane of this.lanes) {
      lane.generation++;
      if (lane.writer.state() === 'open') lane.writer.reset(detail);
      lane.reader.close();
      this.unref(lane);
    }
    this.notifyConsumer();
    const waiters = this.roomWaiters.splice(0);
    for (const w of waiters) w();
    const onStop = this.onStop;
    this.onStop = undefined;
    onStop?.();
  }

  private unref(lane: Lane): void {
    lane.unwatch();
    lane.unwatch = () => undefined;
    // The worker stays in the pool; only a running job keeps the process alive.
    lane.host.worker.unref();
  }

  private notifyConsumer(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }
}

/** A run of numbers as it crossed a ring. */
export type NumberRun = Float64Array | Int32Array;

/** The second record of an answer under a skipping policy: one value, the chunk's ChunkSkips. */
function skipsOf(data: unknown[] | NumberRun): ChunkSkips | undefined {
  return Array.isArray(data) ? data[0] as ChunkSkips | undefined : undefined;
}

/** A typed run as an array of numbers (a loop: Array.from goes through the iterator protocol, several times slower). */
function plain(data: ArrayLike<number>): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i];
  return out;
}

/**
 * Watches a job's host for as long as the job runs: when the worker is lost,
 * the job's rings are reset with the host's reason (which names it), and the
 * readers and writers on them end. Returns the unwatch.
 */
function watch(host: WorkerHost, rings: readonly Attachment[]): () => void {
  return host.whenLost((detail) => {
    for (const a of rings) hostLost(a, detail);
  });
}

/** The lane for a key: equal keys (by their string form for objects) on one lane. */
export function laneOf(key: unknown, lanes: number): number {
  const text = typeof key === 'string' ? key : typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean' ? `${typeof key}:${String(key)}` : JSON.stringify(key) ?? String(key);
  // FNV-1a: cheap, and spreads short keys well.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % lanes;
}
