// Counting the newlines of a byte range, 16 bytes per step with WebAssembly
// SIMD. `count` alone is a count of "\n" bytes, and Buffer.indexOf finds them
// one call per line (a line of 70 bytes costs a call into C++): over a large
// log that loop costs more than reading the file. The wasm function below
// compares 16 bytes with "\n" at once, turns the result into a 16-bit mask and
// adds its population count.
//
// The bytes are copied into the module's memory a window at a time (one wasm
// page, 64 KiB): the window stays in the processor's cache, and the copy is one
// memcpy, far cheaper than the calls it saves. Where WebAssembly or its SIMD
// instructions are missing (an old engine, --jitless), Buffer.indexOf does it.
//
// The module is assembled here from its instructions rather than shipped as a
// binary file, so that what it does can be read next to it.

const NL = 10;
/** One wasm page: the window the bytes are copied into. */
const WINDOW = 64 * 1024;

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

const name = (text: string): number[] => [...leb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];

// count(p, end): the "\n" bytes in memory[p, end), where end - p is a multiple of 16.
// Parameters are locals 0 (p) and 1 (end); local 2 is the count (i32), local 3
// sixteen "\n" bytes (v128).
const COUNT_BODY = [
  2, 1, 0x7f, 1, 0x7b, //                  locals: 1 × i32, 1 × v128
  0x41, NL, 0xfd, 0x0f, 0x21, 3, //        local3 = i8x16.splat(10)
  0x02, 0x40, //                           block
  0x03, 0x40, //                             loop
  0x20, 0, 0x20, 1, 0x4f, 0x0d, 1, //          if (p >= end) break out of the block
  0x20, 2, //                                  count +
  0x20, 0, 0xfd, 0x00, 0x00, 0x00, //          v128.load(p)
  0x20, 3, 0xfd, 0x23, //                      i8x16.eq with the newlines: 0xff where equal
  0xfd, 0x64, 0x69, 0x6a, 0x21, 2, //          popcnt(i8x16.bitmask(...)) -> count
  0x20, 0, 0x41, 16, 0x6a, 0x21, 0, //         p += 16
  0x0c, 0, //                                  continue the loop
  0x0b, 0x0b, //                             end loop, end block
  0x20, 2, 0x0b, //                        return count
];

const MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // one type: (i32, i32) -> i32
  ...section(3, [1, 0]), // one function, of that type
  ...section(5, [1, 0x00, 1]), // one memory of one page
  ...section(7, [2, ...name('count'), 0x00, 0, ...name('memory'), 0x02, 0]), // exports
  ...section(10, [1, ...leb(COUNT_BODY.length), ...COUNT_BODY]),
]);

interface Kernel {
  count(p: number, end: number): number;
  window: Uint8Array;
}

let kernel: Kernel | null | undefined;

/** The compiled module, made on first use; null where this engine cannot run it. */
function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    if (typeof WebAssembly === 'object' && WebAssembly.validate(MODULE)) {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(MODULE)).exports as { count: Kernel['count']; memory: WebAssembly.Memory };
      kernel = { count: exports.count, window: new Uint8Array(exports.memory.buffer, 0, WINDOW) };
    }
  } catch {
    kernel = null; // no WebAssembly here (--jitless, a policy): the indexOf loop does it
  }
  return kernel;
}

/** With Buffer.indexOf: the fallback, and the count of a short range. */
function countByIndexOf(b: Buffer, s: number, e: number): number {
  let n = 0;
  for (let i = b.indexOf(NL, s); i !== -1 && i < e; i = b.indexOf(NL, i + 1)) n++;
  return n;
}

/** The number of "\n" bytes in b[s, e). */
export function countNewlines(b: Buffer, s: number, e: number): number {
  const k = e - s >= 256 ? load() : null;
  if (k === null) return countByIndexOf(b, s, e);
  let n = 0;
  let at = s;
  while (e - at >= 16) {
    const size = Math.min(WINDOW, (e - at) & ~15);
    k.window.set(b.subarray(at, at + size));
    n += k.count(0, size);
    at += size;
  }
  for (; at < e; at++) if (b[at] === NL) n++;
  return n;
}

/** Whether the SIMD kernel runs here (for --explain and tests). */
export function newlinesUseSimd(): boolean {
  return load() !== null;
}
