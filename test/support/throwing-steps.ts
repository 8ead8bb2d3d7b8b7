// Portable steps that throw for some elements (a map and a predicate), for the
// tests of error policies on worker threads: each fails on its own multiples,
// so the elements a policy drops or retries can be counted.

/** Half of x, rounded toward zero; throws a RangeError for multiples of 13. */
export const half = (x: number): number => {
  if (x % 13 === 0) throw new RangeError(`no ${x}`);
  return Math.trunc(x / 2);
};

/** Whether x is odd; throws a TypeError for multiples of 11. */
export const odd = (x: number): boolean => {
  if (x % 11 === 0) throw new TypeError(`cannot test ${x}`);
  return x % 2 !== 0;
};
