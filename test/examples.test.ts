import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { since, snapshot } from '../jit/stats.js';
import { parallelExample } from '../examples/parallel.js';
import { readmeExample } from '../examples/readme.js';

describe('the README example', () => {
  it('prints what the README says and compiles the second chain from the cache', () => {
    const before = snapshot();
    const { total, again } = readmeExample();
    expect(total).toBeCloseTo(3.13, 10);
    expect(again).toBe(5);
    // two chains of one shape: one admittance and one flow function, bound twice
    expect(since(before).compiles).toBeLessThanOrEqual(2);
    expect(since(before).cacheHits).toBeGreaterThanOrEqual(2);
  });

  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/readme.ts', import.meta.url), 'utf8');
    for (const line of ['.drop(1) // skip the first', '.grep((ms: number) => ms > 900) // slow ones only', '.take(3)']) {
      expect(readme).toContain(line);
      expect(example).toContain(line);
    }
  });
});

describe('the README example of parallel()', () => {
  it('counts on two workers what one thread counts', async () => {
    const { hits, oneThread } = await parallelExample();
    expect(oneThread).toBeGreaterThan(0);
    expect(hits).toBe(oneThread);
  });

  it('is the code the README shows', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../examples/parallel.ts', import.meta.url), 'utf8');
    const lines = example.split('\n').filter((l) => /workers: 2|parallel\(2\)|io\.close/.test(l)).map((l) => l.trim());
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(readme).toContain(line);
  });
});
