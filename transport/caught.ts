// A user's function run on another host, wrapped so that what it throws goes to
// `caught`, which throws in its turn (the job fails) or returns what the flow
// gets instead. The wrapper has a fixed arity (one argument, or two for a
// fold): rest parameters would allocate on every call and keep V8 from
// inlining `f`.

/** `f` with its throws handed to `caught`. */
export function catching(f: (...args: unknown[]) => unknown, caught: (error: unknown) => unknown): (...args: unknown[]) => unknown {
  if (f.length >= 2) {
    return (a: unknown, b: unknown) => {
      try {
        return f(a, b);
      } catch (e) {
        return caught(e);
      }
    };
  }
  return (x: unknown) => {
    try {
      return f(x);
    } catch (e) {
      return caught(e);
    }
  };
}
