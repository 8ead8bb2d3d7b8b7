// iterate: a sink read by `for await`. It queues up to `capacity` elements (or
// bytes: a byte flowable is queued as one Uint8Array chunk) and admits no more
// until the consumer takes some; each take calls `writableAgain('in')`. A
// consumer that stops early (`break`) ends the input, so the sources stop.
import { bytesHeld } from '../../engine/bytes.js';
import { admitWith, chunk, define, value, type Instance } from '../../engine/definition.js';
import { errorOf } from '../../engine/ports.js';
import type { Process } from '../../engine/process.js';
import { finishesWhen, Run } from '../../engine/run.js';

export const CAPACITY = 1024;
export const BYTE_CAPACITY = 256 * 1024;

interface Item {
  value: unknown;
  size: number;
  bytes: boolean;
}

type Iterate = Instance<{ capacity: number }, { items: (Item | undefined)[]; head: number; queued: number; wake: (() => void) | null }>;

export const iterate = define('iterate', {
  ports: ['in'],
  inputs: ['in'],
  params: { capacity: value<number>() },
  state: {
    items: (): (Item | undefined)[] => [],
    head: () => 0,
    queued: () => 0,
    wake: (): (() => void) | null => null,
  },
  onEnd: (it) => notify(it),
})
  .admittance('>in', admitWith((it, n) => Math.max(0, Math.min(n, it.params.capacity - it.state.queued))))
  .flow('>in', chunk((it, xs, offset, n) => {
    const { items } = it.state;
    if (xs instanceof Uint8Array) {
      items.push({ value: xs.subarray(offset, offset + n), size: n, bytes: true });
      bytesHeld(it.io).hold(n);
    } else {
      for (let i = 0; i < n; i++) items.push({ value: xs[offset + i], size: 1, bytes: false });
    }
    it.state.queued += n;
    notify(it);
    return n;
  }));

function notify(it: Iterate): void {
  const { wake } = it.state;
  it.state.wake = null;
  wake?.();
}

function take(it: Iterate): Item | undefined {
  const { items, head } = it.state;
  const item = items[head];
  if (item === undefined) return undefined;
  // The slot is cleared at once: a taken value is the consumer's, not the queue's.
  items[head] = undefined;
  if (head + 1 === items.length) {
    items.length = 0;
    it.state.head = 0;
  } else {
    it.state.head = head + 1;
  }
  it.state.queued -= item.size;
  if (item.bytes) bytesHeld(it.io).release(item.size);
  return item;
}

/** The async iterator over sink `it`, whose run is started on the first `next()`. */
export function iterator<X>(sink: Process): AsyncIterableIterator<X> {
  if (!iterate.is(sink)) throw new TypeError(`${sink.label}: not an iterate sink`);
  const it = sink;
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
        if (it.isEnded('in')) {
          // An input cut by an error no process of the run raised (a lost host's
          // connection) is not a complete stream: the loop throws it, as run() does.
          const cut = errorOf(it.fault);
          if (cut !== undefined) {
            finish();
            throw cut;
          }
          return done();
        }
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
