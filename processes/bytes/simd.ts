// Byte scans 16 bytes per step with WebAssembly SIMD: counting the newlines of
// a range, and finding a fixed string. Buffer.indexOf finds a newline with one
// call into C++ per line (a line of 70 bytes costs a call), and a word with a
// search that looks at most bytes one by one; over a large log either loop
// costs more than reading the file.
//
//   count(p, end)                 compares 64 bytes with "\n" a step, in four
//                                 vectors, and keeps sixteen byte counters that
//                                 are added up every 4032 bytes
//   find(p, end, first, last, gap)  the first position where the needle's first
//                                 byte is and, `gap` bytes on, its last byte:
//                                 16 positions tested by two compares and an and.
//                                 Every candidate is then compared in full
//
// The bytes are copied into the module's memory a window at a time (64 KiB):
// the window stays in the processor's cache, and the copy is one memcpy, far
// cheaper than the calls it saves. Where WebAssembly or its SIMD instructions
// are missing (an old engine, --jitless), Buffer.indexOf does it all.
//
// The module is assembled here from its instructions rather than shipped as a
// binary file, so that what it does can be read next to it.

const NL = 10;
/** The window the bytes are copied into: one wasm page. */
const WINDOW = 64 * 1024;
/**
 * The module has a second page: find reads up to 15 bytes past its end and
 * `gap` bytes past a candidate, so loads near the window's end stay in memory
 * (what they read there is filtered out). Needles longer than this use indexOf.
 */
const MAX_NEEDLE = 32 * 1024;
/** Where lines() stores the positions it finds: after those two pages, room for one per byte of a window. */
const POSITIONS = 2 * 64 * 1024;
/** The module's memory in pages: the window, the page after it, and the positions. */
const PAGES = (POSITIONS + 4 * WINDOW) / (64 * 1024);

/** LEB128 of an unsigned integer, as wasm encodes sizes and indices. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128, as i32.const takes its operand (64 needs two bytes: one would read as -64). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const name = (text: string): number[] => [...leb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const body = (code: number[]): number[] => [...leb(code.length), ...code];

// Instructions used below: local.get 0x20, local.set 0x21, local.tee 0x22,
// i32.const 0x41, i32.add 0x6a, i32.ge_u 0x4f, i32.ctz 0x68, i32.popcnt 0x69,
// block 0x02, loop 0x03, if 0x04, br 0x0c, br_if 0x0d, return 0x0f, end 0x0b;
// SIMD (0xfd prefix): v128.load 0x00, i8x16.splat 0x0f, i8x16.eq 0x23,
// v128.and 0x4e, i8x16.bitmask 0x64.

// count(p, end): the "\n" bytes in memory[p, end), where end - p is a multiple
// of 64. Each step compares 64 bytes (four loads) with "\n" and subtracts the
// results (0xff, that is -1, where equal) from sixteen byte counters, so a step
// is eight vector instructions and no scalar work. A counter gains at most 4 a
// step, so after 63 steps (4032 bytes) the counters are widened and added to
// four 32-bit totals (pairwise adds: 16 bytes -> 8 shorts -> 4 ints) and start
// again from zero. Twice as fast as a population count of each 16 bytes' mask.
// Locals: 0 p, 1 end (parameters), 2 where this run of steps stops (i32),
// 3 the byte counters, 4 the totals, 5 sixteen "\n" bytes (v128).
const RUN = 4032;
const COUNT = [
  2, 1, 0x7f, 3, 0x7b, //                   locals: 1 × i32, 3 × v128
  0x41, NL, 0xfd, 0x0f, 0x21, 5, //         local5 = i8x16.splat(10)
  0x41, 0, 0xfd, 0x0f, 0x21, 4, //          totals = 0
  0x02, 0x40, //                            block
  0x03, 0x40, //                              loop
  0x20, 0, 0x20, 1, 0x4f, 0x0d, 1, //           if (p >= end) leave the block
  0x20, 0, 0x41, ...sleb(RUN), 0x6a, //         stop = p + RUN < end ? p + RUN : end
  0x20, 1,
  0x20, 0, 0x41, ...sleb(RUN), 0x6a, 0x20, 1, 0x49, // (i32.lt_u)
  0x1b, 0x21, 2, //                             (select)
  0x41, 0, 0xfd, 0x0f, 0x21, 3, //              counters = 0
  0x02, 0x40, //                                block
  0x03, 0x40, //                                  loop
  0x20, 0, 0x20, 2, 0x4f, 0x0d, 1, //               if (p >= stop) leave the block
  ...[0, 16, 32, 48].flatMap((offset) => [
    0x20, 3, 0x20, 0, 0xfd, 0x00, 0x00, offset, //  counters - (v128.load(p + offset)
    0x20, 5, 0xfd, 0x23, 0xfd, 0x71, 0x21, 3, //      == "\n"): i8x16.eq, i8x16.sub
  ]),
  0x20, 0, 0x41, ...sleb(64), 0x6a, 0x21, 0, //     p += 64
  0x0c, 0, //                                       again
  0x0b, 0x0b, //                                  end loop, end block
  0x20, 4, 0x20, 3, //                          totals + the counters widened:
  0xfd, 0x7d, 0xfd, 0x7f, 0xfd, 0xae, 0x01, //  i16x8.extadd_pairwise_i8x16_u, i32x4.extadd_pairwise_i16x8_u, i32x4.add
  0x21, 4,
  0x0c, 0, //                                   again
  0x0b, 0x0b, //                              end loop, end block
  0x20, 4, 0xfd, 0x1b, 0, 0x20, 4, 0xfd, 0x1b, 1, 0x6a, // the four totals added (i32x4.extract_lane)
  0x20, 4, 0xfd, 0x1b, 2, 0x6a, 0x20, 4, 0xfd, 0x1b, 3, 0x6a,
  0x0b,
];

// find(p, end, first, last, gap): the least i >= p, tested 16 at a time from p
// while p < end, with memory[i] == first and memory[i + gap] == last; -1 when
// there is none. It may answer an i >= end (from the last 16), which the caller
// ignores. Locals: 0 p, 1 end, 2 first, 3 last, 4 gap (parameters), 5 the mask
// (i32), 6 sixteen first bytes, 7 sixteen last bytes (v128).
const FIND = [
  2, 1, 0x7f, 2, 0x7b, //                   locals: 1 × i32, 2 × v128
  0x20, 2, 0xfd, 0x0f, 0x21, 6, //          local6 = i8x16.splat(first)
  0x20, 3, 0xfd, 0x0f, 0x21, 7, //          local7 = i8x16.splat(last)
  0x02, 0x40, //                            block
  0x03, 0x40, //                              loop
  0x20, 0, 0x20, 1, 0x4f, 0x0d, 1, //           if (p >= end) leave the block
  0x20, 0, 0xfd, 0x00, 0x00, 0x00, //           v128.load(p)
  0x20, 6, 0xfd, 0x23, //                       == first
  0x20, 0, 0x20, 4, 0x6a, //                    p + gap
  0xfd, 0x00, 0x00, 0x00, //                    v128.load(p + gap)
  0x20, 7, 0xfd, 0x23, //                       == last
  0xfd, 0x4e, 0xfd, 0x64, 0x22, 5, //           mask = i8x16.bitmask(both)
  0x04, 0x40, //                                if (mask)
  0x20, 0, 0x20, 5, 0x68, 0x6a, 0x0f, //          return p + ctz(mask)
  0x0b, //                                      end if
  0x20, 0, 0x41, 16, 0x6a, 0x21, 0, //          p += 16
  0x0c, 0, //                                   again
  0x0b, 0x0b, //                              end loop, end block
  0x41, 0x7f, 0x0b, //                      return -1
];

// flip(p, end, low, span): each byte b of memory[p, end) with b - low < span
// (unsigned: low <= b < low + span) gets bit 0x20 flipped, in place; end - p is
// a multiple of 16. With low 'a' and span 26 that is ASCII upper case, with 'A'
// lower case. Locals: 0 p, 1 end, 2 low, 3 span (parameters), 4 the bytes, 5
// sixteen lows, 6 sixteen spans, 7 sixteen 0x20 (v128).
const FLIP = [
  1, 4, 0x7b, //                            locals: 4 × v128
  0x20, 2, 0xfd, 0x0f, 0x21, 5, //          local5 = i8x16.splat(low)
  0x20, 3, 0xfd, 0x0f, 0x21, 6, //          local6 = i8x16.splat(span)
  0x41, 0x20, 0xfd, 0x0f, 0x21, 7, //       local7 = i8x16.splat(0x20)
  0x02, 0x40, //                            block
  0x03, 0x40, //                              loop
  0x20, 0, 0x20, 1, 0x4f, 0x0d, 1, //           if (p >= end) leave the block
  0x20, 0, //                                   the address to store at
  0x20, 0, 0xfd, 0x00, 0x00, 0x00, 0x22, 4, //  bytes = v128.load(p)
  0x20, 4, 0x20, 5, 0xfd, 0x71, //              bytes - low (i8x16.sub, wrapping)
  0x20, 6, 0xfd, 0x26, //                       < span, unsigned (i8x16.lt_u): 0xff where in range
  0x20, 7, 0xfd, 0x4e, //                       & 0x20
  0xfd, 0x51, //                                bytes ^ that (v128.xor)
  0xfd, 0x0b, 0x00, 0x00, //                    v128.store(p)
  0x20, 0, 0x41, 16, 0x6a, 0x21, 0, //          p += 16
  0x0c, 0, //                                   again
  0x0b, 0x0b, //                              end loop, end block
  0x0b,
];

// lines(p, end, out): the positions of the "\n" bytes in memory[p, end), in
// order, stored from `out` on as 32-bit numbers; returns where they stop. end - p
// is a multiple of 16. Each 16 bytes are compared at once and their mask taken
// apart a set bit at a time (count trailing zeros, clear the lowest bit), so a
// line costs a few instructions instead of a call into C++ (Buffer.indexOf).
// Locals: 0 p, 1 end, 2 out (parameters), 3 the mask (i32), 4 sixteen "\n" (v128).
const LINES = [
  2, 1, 0x7f, 1, 0x7b, //                   locals: 1 × i32, 1 × v128
  0x41, NL, 0xfd, 0x0f, 0x21, 4, //         local4 = i8x16.splat(10)
  0x02, 0x40, //                            block
  0x03, 0x40, //                              loop
  0x20, 0, 0x20, 1, 0x4f, 0x0d, 1, //           if (p >= end) leave the block
  0x20, 0, 0xfd, 0x00, 0x00, 0x00, //           mask = i8x16.bitmask(v128.load(p)
  0x20, 4, 0xfd, 0x23, 0xfd, 0x64, 0x21, 3, //    == "\n")
  0x02, 0x40, //                                block
  0x03, 0x40, //                                  loop
  0x20, 3, 0x45, 0x0d, 1, //                        if (mask == 0) leave the block
  0x20, 2, 0x20, 0, 0x20, 3, 0x68, 0x6a, //         i32.store(out, p + ctz(mask))
  0x36, 0x02, 0x00,
  0x20, 2, 0x41, 4, 0x6a, 0x21, 2, //               out += 4
  0x20, 3, 0x20, 3, 0x41, 1, 0x6b, 0x71, 0x21, 3, // mask &= mask - 1
  0x0c, 0, //                                       again
  0x0b, 0x0b, //                                  end loop, end block
  0x20, 0, 0x41, 16, 0x6a, 0x21, 0, //          p += 16
  0x0c, 0, //                                   again
  0x0b, 0x0b, //                              end loop, end block
  0x20, 2, 0x0b, //                         return out
];

const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  // four types: (i32, i32) -> i32, (i32 × 5) -> i32, (i32 × 4) -> nothing and (i32 × 3) -> i32
  ...section(1, [4, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f]),
  ...section(3, [4, 0, 1, 2, 3]), // count, find, flip and lines, of those types
  ...section(5, [1, 0x00, PAGES]), // one memory
  ...section(7, [5, ...name('count'), 0x00, 0, ...name('find'), 0x00, 1, ...name('flip'), 0x00, 2, ...name('lines'), 0x00, 3, ...name('memory'), 0x02, 0]),
  ...section(10, [4, ...body(COUNT), ...body(FIND), ...body(FLIP), ...body(LINES)]),
]);

interface Kernel {
  count(p: number, end: number): number;
  find(p: number, end: number, first: number, last: number, gap: number): number;
  flip(p: number, end: number, low: number, span: number): void;
  lines(p: number, end: number, out: number): number;
  memory: Uint8Array;
  /** The positions lines() stores, as numbers. */
  positions: Int32Array;
}

let kernel: Kernel | null | undefined;

/**
 * Counts the scans of NewlineScan, which copy a window ahead of where a
 * FixedSearch may be searching: a search whose window was copied before the
 * last scan copies it again. (flipCase writes the window too, but only with a
 * line that a search has already passed: see region in byte-stages.ts.)
 */
let windowScans = 0;

/** The compiled module, made on first use; null where this engine cannot run it. */
function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    if (typeof WebAssembly === 'object' && WebAssembly.validate(MODULE)) {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(MODULE)).exports as Omit<Kernel, 'memory' | 'positions'> & { memory: WebAssembly.Memory };
      const buffer = exports.memory.buffer;
      kernel = { count: exports.count, find: exports.find, flip: exports.flip, lines: exports.lines, memory: new Uint8Array(buffer), positions: new Int32Array(buffer, POSITIONS, WINDOW) };
    }
  } catch {
    kernel = null; // no WebAssembly here (--jitless, a policy): Buffer.indexOf does it
  }
  return kernel;
}

/**
 * Turns the kernels off (every scan then takes its Buffer.indexOf or table path,
 * as on an engine without WebAssembly) or on again: for tests of those paths.
 */
export function useSimd(enabled: boolean): void {
  kernel = enabled ? undefined : null;
}

/** Whether the SIMD kernels run here (for --explain and tests). */
export function simdAvailable(): boolean {
  return load() !== null;
}

/** The number of "\n" bytes in b[s, e). */
export function countNewlines(b: Buffer, s: number, e: number): number {
  const k = e - s >= 256 ? load() : null;
  let n = 0;
  let at = s;
  if (k !== null) {
    while (e - at >= 64) {
      const size = Math.min(WINDOW, (e - at) & ~63);
      k.memory.set(b.subarray(at, at + size));
      n += k.count(0, size);
      at += size;
    }
    for (; at < e; at++) if (b[at] === NL) n++;
    return n;
  }
  for (let i = b.indexOf(NL, s); i !== -1 && i < e; i = b.indexOf(NL, i + 1)) n++;
  return n;
}

/**
 * Finds the newlines of a buffer a window at a time, for a loop over its lines:
 *
 *   for (let from = s; from < e; from = scan.scannedTo) {
 *     const n = scan.scan(b, from, e);
 *     for (let i = 0; i < n; i++) { const nl = from + scan.found[i]; ... }
 *   }
 *
 * `found` is the module's memory: it holds the positions of the last scan of
 * any NewlineScan, so read them before scanning again. (The other kernels use
 * only the window and the page after it.) Without the kernel `available` is
 * false and the caller uses Buffer.indexOf.
 */
export class NewlineScan {
  private readonly kernel = load();
  /** Positions of the newlines of the last scan, relative to where it started. */
  readonly found: Int32Array = this.kernel?.positions ?? new Int32Array(0);
  /** Where the last scan stopped: the next one starts there. */
  scannedTo = 0;

  get available(): boolean {
    return this.kernel !== null;
  }

  /** Finds the newlines of b[from, min(end, from + 64 KiB)) and says how many; their positions are in `found`. */
  scan(b: Uint8Array, from: number, end: number): number {
    const k = this.kernel!;
    const size = Math.min(WINDOW, end - from);
    const padded = (size + 15) & ~15;
    k.memory.set(b.subarray(from, from + size));
    // The bytes up to a multiple of 16 are zeros, never a newline.
    k.memory.fill(0, size, padded);
    this.scannedTo = from + size;
    windowScans++;
    return (k.lines(0, padded, POSITIONS) - POSITIONS) >> 2;
  }
}

/**
 * ASCII case of src[0, end) written to dst (which may be src): upper turns a-z
 * into A-Z, lower A-Z into a-z, every other byte stays. Returns how many bytes
 * were done (a multiple of 16; the caller does the rest), 0 without the kernel.
 */
export function flipCase(upper: boolean, src: Uint8Array, dst: Uint8Array): number {
  const k = src.length >= 256 ? load() : null;
  if (k === null) return 0;
  const whole = src.length & ~15;
  const low = upper ? 0x61 : 0x41;
  for (let at = 0; at < whole; at += WINDOW) {
    const size = Math.min(WINDOW, whole - at);
    k.memory.set(src.subarray(at, at + size));
    k.flip(0, size, low, 26);
    dst.set(k.memory.subarray(0, size), at);
  }
  return whole;
}

/**
 * Finds one fixed string again and again in the same buffer, from ever later
 * positions (as a grep goes through a chunk): the window copied last is kept
 * and searched again while the next position is in it. Call `forget` when the
 * buffer's bytes may have changed, before searching a new one.
 */
export class FixedSearch {
  private readonly kernel: Kernel | null;
  private buffer: Buffer | null = null;
  /** windowScans when the window was copied. */
  private copiedAt = 0;
  /** The window holds buffer[start, start + length). */
  private start = 0;
  private length = 0;

  /** The two bytes of the needle that the kernel looks for first (the rest is compared after). */
  private readonly probe: number;
  private readonly gap: number;

  /**
   * `probe` names the two bytes of the needle that the kernel tests 16
   * positions at a time (default its first and last): bytes that are rare in
   * the text make fewer candidates to compare in full. In `"ERROR"` searched
   * in JSON, the quotes are everywhere and E…R is not.
   */
  constructor(private readonly needle: Buffer, probe?: [number, number]) {
    this.kernel = needle.length >= 2 && needle.length <= MAX_NEEDLE ? load() : null;
    if (probe !== undefined && !(probe[0] >= 0 && probe[0] <= probe[1] && probe[1] < needle.length)) throw new RangeError(`FixedSearch: probe ${probe[0]}, ${probe[1]} is not in a needle of ${needle.length} bytes`);
    this.probe = probe?.[0] ?? 0;
    this.gap = probe === undefined ? needle.length - 1 : probe[1] - probe[0];
  }

  forget(): void {
    this.buffer = null;
  }

  /** As b.indexOf(needle, from): the first position >= from where the needle is in b, or -1. */
  indexOf(b: Buffer, from: number): number {
    const k = this.kernel;
    const needle = this.needle;
    if (k === null) return b.indexOf(needle, from);
    const n = needle.length;
    const a = this.probe;
    const gap = this.gap;
    const first = needle[a];
    const last = needle[a + gap];
    const memory = k.memory;
    for (;;) {
      if (from + n > b.length) return -1;
      if (this.buffer !== b || this.copiedAt !== windowScans || from < this.start || from + n > this.start + this.length) {
        this.buffer = b;
        this.copiedAt = windowScans;
        this.start = from;
        this.length = Math.min(WINDOW, b.length - from);
        memory.set(b.subarray(from, from + this.length));
      }
      // Candidates start in [p, end): where the whole needle is still in the window.
      const end = this.length - n + 1;
      let p = from - this.start;
      for (;;) {
        // The probed bytes of a candidate starting at i are at i + a and i + a + gap.
        const probed = k.find(p + a, end + a, first, last, gap);
        if (probed === -1 || probed >= end + a) break;
        const hit = probed - a;
        if (matches(memory, hit, needle)) return this.start + hit;
        p = hit + 1;
      }
      from = this.start + end;
    }
  }
}

function matches(memory: Uint8Array, at: number, needle: Buffer): boolean {
  for (let i = 0; i < needle.length; i++) if (memory[at + i] !== needle[i]) return false;
  return true;
}
