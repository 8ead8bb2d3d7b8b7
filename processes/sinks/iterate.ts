// iterate: a sink read by `for await`. It queues up to `capacity` elements (or
// bytes: a byte flowable is queued as one Uint8Array chunk) and admits no more
// until the consumer takes some; each take calls `writableAgain('in')`. A
// consumer that stops early (`break`) ends the input, so the sources stop.
import { bytesHeld } from '../../engine/bytes.js';
import { admitWith, chunk, define } from '../../engine/definition.js';
import type { Process } from '../../engine/process.js';
import { finishesWhen, Run } from '../../engine/run.js';

export const CAPACITY = 1024;
export const BYTE_CAPACITY = 256 * 1024;

interface Item {
  value: unknown;
  size: number;
  bytes: boolean;
}

export const iterate = define('iterate', {
  ports: ['in'],
  inputs: ['in'],
  params: ['capacity'],
  state: {
    items: () => [] as Item[],
    head: () => 0,
    queued: () => 0,
    wake: () => null as (() => void) | null,
  },
  onEnd: (it) => notify(it),
})
  .admittance('>in', admitWith((it, n) => Math.max(0, Math.min(n, (it.params.capacity as number) - (it.state.queued as number)))))
  .flow('>in', chunk((it, xs, offset, n) => {
    const items = it.state.items as Item[];
    if (xs instanceof Uint8Array) {
      items.push({ value: xs.subarray(offset, offset + n), size: n, bytes: true });
      bytesHeld(it.io).hold(n);
    } else {
      for (let i = 0; i < n; i++) items.push({ value: xs[offset + i], size: 1, bytes: false });
    }
    it.state.queued = (it.state.queued as number) + n;
    notify(it);
    return n;
  }));

function notify(it: Process): void {
  const wake = it.state.wake as (() => void) | null;
  it.state.wake = null;
  wake?.();
}

function take(it: Process): Item | undefined {
  const items = it.state.items as Item[];
  const head = it.state.head as number;
  if (head >= items.length) return undefined;
  const item = items[head];
  items[head] = undefined as unknown as Item;
  if (head + 1 === items.length) {
    items.length = 0;
    it.state.head = 0;
  } else {
    it.state.head = head + 1;
  }
  it.state.queued = (it.state.queued as number) - item.size;
  if (item.bytes) bytesHeld(it.io).release(item.size);
  return item;
}

/** The async iterator over sink `it`, whose run is started on the first `next()`. */
export function iterator<X>(it: Process): AsyncIterableIterator<X> {
  let finish!: () => void;
  finishesWhen(it, new Promise<void>((resolve) => { finish = resolve; }));
  const run = Run.of(it, () => undefined);
  let failure: unknown;
  let failed = false;
  const done = (): IteratorResult<X> => {
    finish();
    return { done: true, value: undefined };
  };
  const self: AsyncIterableIterator<X> = {
    async next(): Promise<IteratorResult<X>> {
      run.start().catch((error) => {
        failed = true;
        failure = error;
        notify(it);
      });
      for (;;) {
        if (failed || run.failed) {
          finish();
          throw failed ? failure : run.error;
        }
        const item = take(it);
        if (item) {
          it.writableAgain('in');
          return { done: false, value: item.value as X };
        }
        if (it.isEnded('in')) return done();
        await new Promise<void>((resolve) => { it.state.wake = resolve; });
      }
    },
    async return(): Promise<IteratorResult<X>> {
      it.end('in');
      while (take(it)) { /* drop what is queued */ }
      return done();
    },
    [Symbol.asyncIterator]() {
      return self;
    },
  };
  return self;
}

/** Plain reference implementation. */
export function reference(xs: unknown[]): unknown[] {
  return xs.slice();
}
