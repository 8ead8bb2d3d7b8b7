// Every process's state was copied from its class's template with a spread at
// one site in the Process constructor. Once that site had copied the templates
// of more than a few classes, V8 gave each later copy a new shape, so a fused
// chain compiled against the states made before met another shape in the
// states made after, and deoptimized on every call: on a worker of parallel(),
// whose chain is built anew for every job and called once per chunk, that was
// twice per chunk for good. The state is now copied with Object.assign onto
// {}, which gives every state of a class one shape whatever the site has seen.
import { setFlagsFromString } from 'node:v8';
import { expect, test } from 'vitest';
import { define } from '../../engine/definition.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { fold } from '../../processes/sinks/fold.js';

// V8's own test of shapes; the flag only has to be set before the function is compiled.
setFlagsFromString('--allow-natives-syntax');
const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: object, b: object) => boolean;

test('states of one class keep one shape after processes of many other classes were made', () => {
  const io = new IO();
  const before = [new Process(io, collect), new Process(io, fold, { f: (a: number, x: number) => a + x, seed: 0 })];
  // Enough classes, each with state, to take the copy site past every few-shapes case.
  for (let k = 0; k < 12; k++) {
    const other = define(`other${k}`, { ports: ['in'], state: { [`own${k}`]: () => k, items: (): unknown[] => [], done: () => false } });
    new Process(io, other);
  }
  const after = [new Process(io, collect), new Process(io, fold, { f: (a: number, x: number) => a + x, seed: 0 })];
  expect(sameShape(before[0].state, after[0].state)).toBe(true);
  expect(sameShape(before[1].state, after[1].state)).toBe(true);
  // And the states still hold what their classes start them with.
  expect(after[0].state).toEqual({ items: [], done: false });
  expect(after[1].state.acc).toBe(0);
});
