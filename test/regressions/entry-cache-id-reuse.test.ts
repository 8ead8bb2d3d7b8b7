// Regression: Process.entry caches the entry for a far-end spec while the port
// still holds the same far address. remove() frees an object id at once, so a
// new process can take the same id and be connected at the same address; the
// cache must not hand back the removed process's entry.
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';

describe('entry cache and reused object ids', () => {
  it('a write after the far process was replaced at the same address reaches the new one', () => {
    const io = new IO();
    const head = new Process(io, cat);
    const first = new Process(io, collect);
    head.connect('out', first, 'in');
    head.flow('>in', head.admittance('>in', Flowable.write(['a'])));
    expect(head.entry('out>', 'flow').start).toBe(first);

    first.remove();
    const second = new Process(io, collect);
    expect(second.id).toBe(first.id); // the lowest free id, reused at once
    head.connect('out', second, 'in');

    expect(head.entry('out>', 'flow').start).toBe(second);
    head.flow('>in', head.admittance('>in', Flowable.write(['b'])));
    expect(first.state.items).toEqual(['a']);
    expect(second.state.items).toEqual(['b']);
  });
});
