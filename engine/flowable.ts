// A flowable describes one proposed transfer: `n` elements of `xs` starting at
// `offset`. n > 0 is a write (the elements are the data), n < 0 a read (the
// elements are the destination). Push and pull share this one shape.

export type Elements = unknown[] | Uint8Array;

export class Flowable<X extends Elements = Elements> {
  constructor(
    readonly xs: X,
    readonly offset: number,
    readonly n: number,
  ) {
    if (!Number.isInteger(n) || !Number.isInteger(offset) || offset < 0) {
      throw new RangeError(`flowable: offset ${offset} and n ${n} must be integers, offset >= 0`);
    }
    const fixedSize = xs instanceof Uint8Array;
    if (offset + Math.abs(n) > xs.length && (fixedSize || n > 0)) {
      throw new RangeError(`flowable: ${Math.abs(n)} elements from offset ${offset} overrun ${xs.length}`);
    }
  }

  /** A write of xs[offset .. offset+n). */
  static write<X extends Elements>(xs: X, offset = 0, n = xs.length - offset): Flowable<X> {
    return new Flowable(xs, offset, n);
  }

  /** A read of up to `count` elements into `into` at `offset` (arrays grow as needed). */
  static read<X extends Elements>(into: X, count: number, offset = 0): Flowable<X> {
    return new Flowable(into, offset, -count);
  }

  get size(): number {
    return Math.abs(this.n);
  }

  get isWrite(): boolean {
    return this.n > 0;
  }

  /** The same transfer cut to `magnitude` elements, keeping its direction. */
  take(magnitude: number): Flowable<X> {
    const m = Math.max(0, Math.min(this.size, magnitude));
    return new Flowable(this.xs, this.offset, this.n < 0 ? -m : m);
  }

  /** The elements this flowable covers, as a copy. */
  elements(): X {
    return this.xs.slice(this.offset, this.offset + this.size) as X;
  }
}

function sameDirection(a: Flowable, b: Flowable): void {
  if (a.n !== 0 && b.n !== 0 && Math.sign(a.n) !== Math.sign(b.n)) {
    throw new RangeError('flowable algebra: cannot combine a write with a read');
  }
}

/** Everyone must accept: the smaller magnitude (broadcast). */
export function intersect<X extends Elements>(a: Flowable<X>, b: Flowable<X>): Flowable<X> {
  sameDirection(a, b);
  return a.size <= b.size ? a : b;
}

/** Anyone may accept: the larger magnitude (merge). */
export function union<X extends Elements>(a: Flowable<X>, b: Flowable<X>): Flowable<X> {
  sameDirection(a, b);
  return a.size >= b.size ? a : b;
}

/** Both in turn: the magnitudes add up, within `a`'s data. */
export function add<X extends Elements>(a: Flowable<X>, b: Flowable<X>): Flowable<X> {
  sameDirection(a, b);
  const n = a.n + b.n;
  return new Flowable(a.xs, a.offset, n);
}
