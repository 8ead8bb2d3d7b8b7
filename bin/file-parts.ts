// A regular file in parts for `pushback -j N` (bin/jobs.ts): N byte ranges that
// start right after a newline, so that no line (nor a "\r\n") is cut in two,
// and a reader of one range. Each worker thread reads its own part.
import { closeSync, openSync, readSync } from 'node:fs';
import { fileRangeReader, type ByteRange, type Reader } from '../processes/sources/readers.js';

/** A byte range [start, end) of a file. */
export type FilePart = ByteRange;

/** How much is read at once while looking for a newline. */
const SCAN_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/** The position just after the first newline at or after `from` (the size when there is none). */
function afterNewline(fd: number, from: number, size: number): number {
  const buf = Buffer.allocUnsafe(SCAN_CHUNK);
  for (let at = from; at < size; ) {
    const n = readSync(fd, buf, 0, Math.min(SCAN_CHUNK, size - at), at);
    if (n === 0) break;
    const i = buf.subarray(0, n).indexOf(NEWLINE);
    if (i >= 0) return at + i + 1;
    at += n;
  }
  return size;
}

const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/** Whether the line at `at` starts with a UTF-8 byte order mark. */
function startsWithMark(fd: number, at: number): boolean {
  const head = Buffer.alloc(3);
  return readSync(fd, head, 0, 3, at) === 3 && head.equals(BYTE_ORDER_MARK);
}

/**
 * Cuts a file of `size` bytes into `n` parts at line boundaries: part k starts
 * after the first newline at or after byte k·size/n − 1 (so a part whose
 * nominal start is already a line's start keeps it). A line longer than a part
 * makes the next parts empty; so does a file with fewer lines than parts.
 * Together the parts cover the file exactly, in order. No part but the first
 * starts with a byte order mark: jsonl passes over one at the start of its
 * input, which must happen only at the start of the file.
 */
export function cutIntoParts(path: string, size: number, n: number): FilePart[] {
  const starts = [0];
  const fd = openSync(path, 'r');
  try {
    for (let k = 1; k < n; k++) starts.push(Math.max(starts[k - 1], partStartAt(fd, Math.floor((k * size) / n), size)));
  } finally {
    closeSync(fd);
  }
  return starts.map((start, k) => ({ start, end: k + 1 < n ? starts[k + 1] : size }));
}

/**
 * Where a part whose nominal start is `nominal` starts: just after the first
 * newline at or after nominal − 1, past the lines that start with a byte order
 * mark (see cutIntoParts); the size when there is none. Never less for a
 * larger nominal start.
 */
export function partStartAt(fd: number, nominal: number, size: number): number {
  if (nominal <= 0) return 0;
  let start = afterNewline(fd, nominal - 1, size);
  while (start < size && startsWithMark(fd, start)) start = afterNewline(fd, start, size);
  return start;
}

/** The number of newlines in the first `end` bytes of a file: the line a part starts on is this plus one. */
export function linesBefore(path: string, end: number): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  let lines = 0;
  try {
    for (let at = 0; at < end; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
      if (n === 0) break;
      for (let i = buf.indexOf(NEWLINE, 0); i >= 0 && i < n; i = buf.indexOf(NEWLINE, i + 1)) lines++;
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

/** A reader of one part (processes/sources/readers.ts reads the range). */
export function partReader(path: string, part: FilePart): Reader {
  return fileRangeReader(path, part);
}
