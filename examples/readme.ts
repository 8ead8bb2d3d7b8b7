// The README's example, run by test/examples.test.ts so the README cannot drift.
import { IO } from '../index.js';

export function readmeExample(): { total: number; again: number } {
  const io = new IO();
  const latencies = [120, 950, 33, 1200, 980, 15, 4000];

  const total = io
    .from(latencies)
    .drop(1) // skip the first
    .grep((ms: number) => ms > 900) // slow ones only
    .map((ms: number) => ms / 1000) // seconds
    .take(3)
    .reduce((a: number, s: number) => a + s, 0);

  const again = io.from([1, 2, 3]).drop(0).grep((x: number) => x > 1).map((x: number) => x).take(9).reduce((a: number, x: number) => a + x, 0).run();
  return { total: total.run(), again };
}
