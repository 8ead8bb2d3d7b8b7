// The compiler hands its generated text to V8 as it is and prints it (acorn,
// then astring) only when someone reads it: explain, or PUSHBACK_JIT_DUMP. A
// command that only runs a pipeline never parses its fused code (that was a
// parse per shape and, for the command line, the load of acorn at every start).
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { explain } from '../../jit/explain.js';
import { clearShapeCache } from '../../jit/compile.js';
import { since, snapshot } from '../../jit/stats.js';

describe('the fused source is printed on demand', () => {
  it('running a chain compiles it without printing it; explain prints it, once per shape', () => {
    clearShapeCache();
    const before = snapshot();
    const sink = new IO().from([1, 2, 3]).grep((x: number) => x > 1).map((x: number) => x * 2).collect();
    expect(sink.run()).toEqual([4, 6]);
    expect(since(before).compiles).toBeGreaterThan(0);
    expect(since(before).printed).toBe(0);
    const text = explain(sink.source, 'out>');
    expect(since(before).printed).toBe(1);
    // astring's layout: two spaces a level, one statement a line.
    expect(text).toMatch(/\n {2}const [A-Za-z_$0-9]+ = \$slots\[0\];\n/);
    expect(text).toContain('//# sourceURL=pushback://chain/');
    explain(sink.source, 'out>');
    expect(since(before).printed).toBe(1);
  });

  it('a chain bound again to a known shape shows the same printed source', () => {
    clearShapeCache();
    const make = () => new IO().from([5, 6]).map((x: number) => x + 1).collect();
    const first = make();
    const second = make();
    expect(first.run()).toEqual([6, 7]);
    const before = snapshot();
    expect(second.run()).toEqual([6, 7]);
    expect(since(before).compiles).toBe(0);
    const body = (sink: typeof first) => explain(sink.source, 'out>').split('\n').filter((l) => !l.startsWith('//')).join('\n');
    expect(body(second)).toBe(body(first));
  });
});
