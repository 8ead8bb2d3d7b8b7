// Regression: `for await` over a chain ended quietly when the chain's last
// connection ended with an error that no process of the run raised (a
// cross-host connection whose far host was lost, a reset): the loop saw a
// clean end and a truncated stream passed for a complete one. run() and
// completion() already failed with the error; the iterator now throws it too,
// after every element that had arrived.
import { expect, it } from 'vitest';
import { IO } from '../../index.js';
import { errorEnd } from '../../engine/ports.js';
import { Process } from '../../engine/process.js';
import { map } from '../../processes/elements/map.js';

it('for await throws the error its input ended with, after what had arrived', async () => {
  const io = new IO();
  const chain = io.from(Array.from({ length: 100_000 }, (_, i) => i + 1)).map((x: number) => x * 10);
  // The chain's steps end up reading from a process that ends with an error of
  // its own, as a transport's stand-in does when its far host is lost.
  const cut = new Process(io, map, { f: (x: unknown) => x });
  const first = chain.tail;
  const got: number[] = [];
  let error: unknown;
  try {
    for await (const x of chain) {
      got.push(x);
      if (got.length === 1) {
        first.disconnect('in');
        cut.connect('out', first, 'in');
        cut.end('out', errorEnd(new Error('host-lost: host 7 was lost')));
      }
    }
  } catch (e) {
    error = e;
  }
  expect(got[0]).toBe(10);
  expect((error as Error | undefined)?.message).toBe('host-lost: host 7 was lost');
});
