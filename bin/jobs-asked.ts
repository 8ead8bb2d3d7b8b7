// How many threads the words of a `pushback` command ask for, at a glance: for
// bin/pushback.ts, which starts the worker threads of `-j N` before it loads the
// command line (bin/job-threads.ts). Kept apart from the thread code so that a
// command without -j loads neither node:worker_threads nor anything else.

/**
 * The N of the first `-j N`, `-jN`, `--jobs N` or `--jobs=N` among the words,
 * 1 without one or when it is not a number. A cheap look, not the parse: a
 * pattern that looks like -j (`grep -e -j2`) only starts workers that are then
 * stopped; the parse in bin/args.ts decides.
 */
export function jobsAsked(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const m = /^(?:-j|--jobs)(=?)(\d*)$/.exec(argv[i]);
    if (m === null) continue;
    const value = m[1] === '' && m[2] === '' ? argv[i + 1] : m[2];
    const n = value !== undefined && /^\d+$/.test(value) ? Number(value) : 1;
    return n >= 1 ? n : 1;
  }
  return 1;
}
