// The parts of a `pushback -j N` run (bin/jobs.ts), in memory that all its
// threads share: for each part, where it starts, how far its reader has read,
// and where it ends. A thread takes the parts the file was first cut into, one
// after the other; when none is left, it splits off the unread second half of
// the part with the most left to read, and runs that (stealing work), so that
// the threads end together however late one of them started or however slow
// one part is. A split makes the old part end where the new one starts, at the
// start of a line (bin/file-parts.ts partStartAt) and within the bytes its
// reader has not claimed yet: each read claims its bytes first (claim), under
// the same lock as a split, so that no byte is read twice or by nobody.
//
// The merge prints the parts in the order of the file: a part's successor is
// the part that starts where it ends (after), known once the part is done.
import { closeSync, openSync } from 'node:fs';
import type { ByteRange } from '../processes/sources/readers.js';
import { partStartAt, type FilePart } from './file-parts.js';

/** Int32 fields at the start of the memory. */
const LOCK = 0;
/** How many parts the table holds (the first cut and the splits since). */
const COUNT = 1;
/** The next part of the first cut that no thread has taken yet. */
const NEXT_FIRST = 2;
/** How many parts the first cut made. */
const FIRST = 3;
/** How many parts there is room for. */
const CAPACITY = 4;
/** The least a part must have left to read to be split. */
const SMALLEST = 5;
/** Six Int32 fields: the Float64 fields after them start on a multiple of 8. */
const HEADER_BYTES = 24;
/** Float64 fields of a part (file positions go past 2^31). */
const START = 0;
const READ = 1;
const END = 2;
const FIELDS = 3;

/** A part is split only if this much of it is left to read: less is not worth a part's start. */
export const SMALLEST_SPLIT = 1 << 20;
/** Splits a run may make in all, beyond its first cut. */
const MOST_SPLITS = 64;
/** Tries to split before a thread gives up (a split can lose the race to the part's own reader). */
const SPLIT_TRIES = 4;

export class PartTable {
  private readonly ints: Int32Array;
  private readonly positions: Float64Array;

  private constructor(
    readonly shared: SharedArrayBuffer,
    readonly path: string,
    readonly size: number,
  ) {
    this.ints = new Int32Array(shared, 0, HEADER_BYTES / 4);
    this.positions = new Float64Array(shared, HEADER_BYTES);
  }

  /** The table of a run whose file was first cut into `first` (empty parts may be left out, but not the first). */
  static create(path: string, size: number, first: FilePart[], smallestSplit = SMALLEST_SPLIT): PartTable {
    const capacity = first.length + MOST_SPLITS;
    const table = new PartTable(new SharedArrayBuffer(HEADER_BYTES + capacity * FIELDS * 8), path, size);
    first.forEach((range, k) => table.write(k, range.start, range.start, range.end));
    table.ints[COUNT] = first.length;
    table.ints[FIRST] = first.length;
    table.ints[CAPACITY] = capacity;
    table.ints[SMALLEST] = smallestSplit;
    return table;
  }

  /** The same table, in another thread. */
  static of(shared: SharedArrayBuffer, path: string, size: number): PartTable {
    return new PartTable(shared, path, size);
  }

  /** How many parts there are now. */
  get count(): number {
    return Atomics.load(this.ints, COUNT);
  }

  /** The next part of the first cut nobody has taken, taking it; or undefined when all are taken. */
  takeFirst(): number | undefined {
    const k = Atomics.add(this.ints, NEXT_FIRST, 1);
    return k < this.ints[FIRST] ? k : undefined;
  }

  /** How many of the bytes from `at` (where the part's reader stands) it may read, at most `max`; they are its own then. */
  claim(part: number, at: number, max: number): number {
    return this.locked(() => {
      const end = this.positions[part * FIELDS + END];
      const n = Math.max(0, Math.min(max, end - at));
      this.positions[part * FIELDS + READ] = at + n;
      return n;
    });
  }

  /** The part as its reader sees it (processes/sources/readers.ts fileRangeReader): each read claims its bytes first. */
  readable(part: number): ByteRange {
    return { ...this.range(part), claim: (at, max) => this.claim(part, at, max) };
  }

  /** The part's reader reads no more (its run is over): what it did not read stays its own, never split off. */
  finish(part: number): void {
    this.locked(() => {
      this.positions[part * FIELDS + READ] = this.positions[part * FIELDS + END];
    });
  }

  /** The bytes the parts' readers have claimed so far, all together: read, or being read. */
  claimed(): number {
    return this.locked(() => {
      let n = 0;
      for (let k = 0; k < this.ints[COUNT]; k++) n += this.positions[k * FIELDS + READ] - this.positions[k * FIELDS + START];
      return n;
    });
  }

  /** The part's range as it stands (final once the part is finished). */
  range(part: number): FilePart {
    return this.locked(() => ({ start: this.positions[part * FIELDS + START], end: this.positions[part * FIELDS + END] }));
  }

  /** The part that starts at `end`, other than `part` (the next one to print after it), or undefined at the end of the file. */
  after(part: number): number | undefined {
    const { end } = this.range(part);
    if (end >= this.size) return undefined;
    const count = this.count;
    // No part is empty but perhaps the first (in a file of fewer bytes than parts), so one part starts at `end`.
    for (let k = 0; k < count; k++) if (k !== part && this.positions[k * FIELDS + START] === end) return k;
    throw new Error(`no part starts at byte ${end} of ${this.path}`);
  }

  /**
   * Splits off the second half of what is left to read of the part with the
   * most left, at the start of a line, as a new part; returns it, or undefined
   * when no part has enough left to be worth it.
   */
  split(): number | undefined {
    let fd: number | undefined;
    try {
      for (let tries = 0; tries < SPLIT_TRIES; tries++) {
        const seen = this.locked(() => this.mostLeft());
        if (seen === undefined) return undefined;
        fd ??= openSync(this.path, 'r');
        // Finding the line start reads the file: outside the lock, then checked under it.
        const start = partStartAt(fd, seen.read + Math.floor((seen.end - seen.read) / 2), this.size);
        const made = this.locked(() => {
          const at = seen.part * FIELDS;
          const [read, end] = [this.positions[at + READ], this.positions[at + END]];
          if (end !== seen.end || start < read || start >= end) return undefined;
          const k = this.ints[COUNT];
          this.write(k, start, start, end);
          this.positions[at + END] = start;
          Atomics.store(this.ints, COUNT, k + 1);
          return k;
        });
        if (made !== undefined) return made;
      }
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Under the lock: the part with the most left to read, if it is worth a split and there is room for one. */
  private mostLeft(): { part: number; read: number; end: number } | undefined {
    const count = this.ints[COUNT];
    if (count >= this.ints[CAPACITY]) return undefined;
    let best: { part: number; read: number; end: number } | undefined;
    for (let k = 0; k < count; k++) {
      const read = this.positions[k * FIELDS + READ];
      const end = this.positions[k * FIELDS + END];
      if (end - read >= this.ints[SMALLEST] && (best === undefined || end - read > best.end - best.read)) best = { part: k, read, end };
    }
    return best;
  }

  private write(k: number, start: number, read: number, end: number): void {
    this.positions[k * FIELDS + START] = start;
    this.positions[k * FIELDS + READ] = read;
    this.positions[k * FIELDS + END] = end;
  }

  /** Runs `f` holding the table's lock (held for a few reads and writes of memory; a thread that finds it taken waits briefly). */
  private locked<T>(f: () => T): T {
    while (Atomics.compareExchange(this.ints, LOCK, 0, 1) !== 0) Atomics.wait(this.ints, LOCK, 1, 1);
    try {
      return f();
    } finally {
      Atomics.store(this.ints, LOCK, 0);
      Atomics.notify(this.ints, LOCK, 1);
    }
  }
}
