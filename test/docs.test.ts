// The examples in docs/multiport.md print what the comments beside them say.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IO } from '../index.js';

describe('docs/multiport.md', () => {
  it('its examples give the results written beside them', () => {
    const doc = readFileSync(new URL('../docs/multiport.md', import.meta.url), 'utf8');
    const io = new IO();
    const [a, b] = io.from([1, 2, 3, 4]).tee();
    const doubled = a.map((x: number) => x * 2).collect();
    const odd = b.grep((x: number) => x % 2 === 1).collect();
    doubled.run();
    expect([doubled.value, odd.value]).toEqual([[2, 4, 6, 8], [1, 3]]);
    expect(io.merge(io.from([1, 2]), io.from([10, 20])).collect().run()).toEqual([1, 2, 10, 20]);
    const [evens, odds] = io.from([1, 2, 3, 4, 5]).route((x: number) => x % 2, 2);
    const e = evens.collect();
    const o = odds.collect();
    e.run();
    expect([e.value, o.value]).toEqual([[2, 4], [1, 3, 5]]);
    expect(io.zip(io.from([1, 2, 3]), io.from(['a', 'b'])).collect().run()).toEqual([[1, 'a'], [2, 'b']]);
    expect(io.from([1, 2]).flatMap((x: number) => [x, x * 10]).collect().run()).toEqual([1, 10, 2, 20]);
    // the doc shows the same calls
    for (const line of ['io.from([1, 2, 3, 4]).tee()', 'io.merge(io.from([1, 2]), io.from([10, 20]))', '.route((x: number) => x % 2, 2)', "io.zip(io.from([1, 2, 3]), io.from(['a', 'b']))", '.flatMap((x: number) => [x, x * 10])']) {
      expect(doc).toContain(line);
    }
  });

  it('a branch that ends early leaves the others, as the doc shows', () => {
    const doc = readFileSync(new URL('../docs/multiport.md', import.meta.url), 'utf8');
    const io = new IO();
    const [first, all] = io.from([1, 2, 3, 4, 5]).tee();
    const two = first.take(2).collect();
    const five = all.collect();
    two.run();
    expect([two.value, five.value]).toEqual([[1, 2], [1, 2, 3, 4, 5]]);
    expect(doc).toContain('const two = first.take(2).collect();');
  });

  it('the over-commit error in the doc is the one the compiler gives in a strict container', () => {
    const doc = readFileSync(new URL('../docs/multiport.md', import.meta.url), 'utf8').replace(/\n/g, ' ');
    const io = new IO({ strict: true });
    const [a, b] = io.from([1, 2]).tee();
    let message = '';
    try {
      io.merge(a.map((x: number) => x), b.map((x: number) => x)).collect().run();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^copy#\d+: out\[0\] and out\[1\] both reach union#\d+ inside one fused flow/);
    expect(doc).toContain(message.replace(/copy#\d+/g, 'copy#2').replace(/union#\d+/g, 'union#6'));
  });
});
