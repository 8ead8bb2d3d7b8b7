// The demo behind `npm start`: builds a chain over built-in data, runs it,
// prints the result and the one fused function the chain compiled to.
import { IO } from '../index.js';

const io = new IO();

// Built-in data: a day of synthetic request latencies in milliseconds.
const latencies = Array.from({ length: 100_000 }, (_, i) => ((i * 7919) % 1000) + (i % 97));

const slow = io
  .from(latencies)
  .drop(1_000) // skip the warm-up minute
  .grep((ms: number) => ms > 900) // slow requests only
  .map((ms: number) => ms / 1000) // in seconds
  .take(500)
  .reduce((total: number, s: number) => total + s, 0);

const total = slow.run();
console.log(`500 slow requests after warm-up took ${total.toFixed(1)} s in all.\n`);
console.log('The chain ran as this one function (values arrive through $slots, never as source):\n');
console.log(slow.explain());
