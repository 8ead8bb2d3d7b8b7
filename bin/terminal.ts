// Whether a file descriptor is a terminal. node:tty answers, but loading it
// loads node:net and the stream classes, a noticeable part of a short command's
// start; the command line's bundle loads it on first use (scripts/build-cli.mjs).
// A terminal is a character device, and the output of a pipeline usually goes
// to a pipe or a file: for those one fstat answers and node:tty is not loaded.
import { fstatSync } from 'node:fs';
import { isatty } from 'node:tty';

export function isTerminal(fd: number): boolean {
  return mayBeTerminal(fd) && isatty(fd);
}

/**
 * Whether a file descriptor could be a terminal: it is a character device (a
 * terminal, or /dev/null and its like). One fstat answers, without node:tty.
 */
export function mayBeTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false; // not open: not a terminal either
  }
}
