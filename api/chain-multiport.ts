// The chaining API for processes with several inputs or outputs:
//   const [a, b] = io.from(xs).tee();          a broadcast (copy)
//   io.merge(a.map(f), b.grep(p))              a merge (union)
//   const [even, odd] = chain.route((x) => x % 2, 2)
//   io.zip(a, b)  /  io.zip(a, b, (x, y) => x + y)
//   chain.flatMap((x) => [x, x])  /  chain.concatMap(...)
import { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { Chain } from './chain.js';
import { copy } from '../processes/topology/copy.js';
import { flatMap } from '../processes/elements/flat-map.js';
import { fromArrays } from '../processes/sources/from-arrays.js';
import { router } from '../processes/topology/router.js';
import { union } from '../processes/topology/union.js';
import { pair, zip } from '../processes/topology/zip.js';

declare module './chain.js' {
  interface Chain<X> {
    /** n branches that each receive everything (a broadcast). */
    copy(n: number): Chain<X>[];
    /** copy(2). */
    tee(): [Chain<X>, Chain<X>];
    /** n branches; element x goes to branch key(x). */
    route(key: (x: X) => number, n: number): Chain<X>[];
    /** Each element becomes the elements of f(x). */
    flatMap<Y>(f: (x: X) => Iterable<Y>): Chain<Y>;
    /** The same as flatMap: inner sequences are synchronous, so order is kept either way. */
    concatMap<Y>(f: (x: X) => Iterable<Y>): Chain<Y>;
  }
}

declare module '../engine/io.js' {
  interface IO {
    /** One chain carrying everything the given chains carry. */
    merge<X>(...chains: Chain<X>[]): Chain<X>;
    /** Pairs of the two chains' elements, or f(a, b); ends with the shorter one. */
    zip<A, B>(a: Chain<A>, b: Chain<B>): Chain<[A, B]>;
    zip<A, B, C>(a: Chain<A>, b: Chain<B>, f: (a: A, b: B) => C, bound?: number): Chain<C>;
  }
}

function branches<X>(chain: Chain<X>, p: Process, n: number, step: string): Chain<X>[] {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new TypeError(`${step}: expected 1 to 65,535 branches, got ${String(n)}`);
  return Array.from({ length: n }, (_, i) => new Chain<X>(chain.io, chain.source, p, `out[${i}]`));
}

Chain.prototype.copy = function copy_<X>(this: Chain<X>, n: number): Chain<X>[] {
  return branches(this, this.pipe(copy).tail, n, 'copy');
};

Chain.prototype.tee = function tee<X>(this: Chain<X>): [Chain<X>, Chain<X>] {
  const [a, b] = this.copy(2);
  return [a, b];
};

Chain.prototype.route = function route<X>(this: Chain<X>, key: (x: X) => number, n: number): Chain<X>[] {
  if (typeof key !== 'function') throw new TypeError(`route: expected a key function, got ${typeof key}`);
  return branches(this, this.pipe(router, { key }, 'in', 'route').tail, n, 'route');
};

Chain.prototype.flatMap = function flatMap_<X, Y>(this: Chain<X>, f: (x: X) => Iterable<Y>): Chain<Y> {
  if (typeof f !== 'function') throw new TypeError(`flatMap: expected a function, got ${typeof f}`);
  return this.pipe<Y>(flatMap, { f });
};

// The same process, named in messages as the user wrote it.
Chain.prototype.concatMap = function concatMap<X, Y>(this: Chain<X>, f: (x: X) => Iterable<Y>): Chain<Y> {
  if (typeof f !== 'function') throw new TypeError(`concatMap: expected a function, got ${typeof f}`);
  return this.pipe<Y>(flatMap, { f }, 'in', 'concatMap');
};

IO.prototype.merge = function merge<X>(this: IO, ...chains: Chain<X>[]): Chain<X> {
  if (chains.length === 0) throw new TypeError('merge: expected at least one chain');
  if (chains.every((c) => c.untouchedArray)) {
    // A graph rewrite before anything runs: merging untouched arrays is one
    // source taking turns over them, with the order separate sources would give.
    const s = new Process(this, fromArrays, { arrays: chains.map((c) => c.array) }).nameStep('merge');
    return new Chain<X>(this, s, s);
  }
  const u = new Process(this, union);
  chains.forEach((c, i) => c.tail.connect(c.tailPort, u, `in[${i}]`));
  return new Chain<X>(this, chains[0].source, u);
};

IO.prototype.zip = function zip_<A, B, C>(this: IO, a: Chain<A>, b: Chain<B>, f?: (a: A, b: B) => C, bound = 8192): Chain<C> {
  if (f !== undefined && typeof f !== 'function') throw new TypeError(`zip: expected a function, got ${typeof f}`);
  const z = new Process(this, zip, { f: f ?? pair, bound });
  a.tail.connect(a.tailPort, z, 'left');
  b.tail.connect(b.tailPort, z, 'right');
  return new Chain<C>(this, a.source, z);
};
