// Counting is per chunk, at entry calls, and only while an inspector is attached.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { entryHooks } from '../../jit/entry.js';
import { attachCounters, countersOf, isCounted } from '../../inspect/counters.js';

const ints = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const even = (x: number): boolean => x % 2 === 0;

describe('chunk counters', () => {
  it('count nothing and wrap nothing when no inspector is attached', () => {
    const io = new IO();
    const sink = io.from(ints(10_000)).grep(even).map((x: number) => x + 1).reduce((a: number, x: number) => a + x, 0);
    sink.run();
    expect(entryHooks.compiled).toBeUndefined();
    const entry = sink.source.entry('out>', 'flow');
    expect(isCounted(entry)).toBe(false);
    for (const p of io.processes()) expect(countersOf(p).size).toBe(0);
  });

  it('count records and chunks where a fused chain is entered, once per chunk', () => {
    const io = new IO();
    const detach = attachCounters(io);
    try {
      const sink = io.from(ints(10_000)).grep(even).map((x: number) => x + 1).reduce((a: number, x: number) => a + x, 0);
      sink.run();
      const grep = sink.source.peer('out')!.process;
      // Pushed in rounds of at most 4,096: 4,096 + 4,096 + 1,808.
      expect(countersOf(grep).get('in')).toEqual({ records: 10_000, bytes: 0, chunks: 3 });
      expect(isCounted(sink.source.entry('out>', 'flow'))).toBe(true);
    } finally {
      detach();
    }
    expect(entryHooks.compiled).toBeUndefined();
  });

  it('wrap entries compiled before attaching, and put the compiled function back on detach', () => {
    const io = new IO();
    const source = io.from(ints(5000));
    const sink = source.map((x: number) => x * 2).collect();
    const entry = sink.source.entry('out>', 'flow');
    const compiled = entry.ready();
    const detach = attachCounters(io);
    expect(entry.fn).not.toBe(compiled);
    sink.run();
    const map = sink.source.peer('out')!.process;
    expect(countersOf(map).get('in')!.records).toBe(5000);
    detach();
    expect(entry.fn).toBe(compiled);
  });

  it('count every connection of an interpreted container, and bytes of byte chunks', () => {
    const io = new IO({ fuse: false });
    const detach = attachCounters(io);
    try {
      const sink = io.from(ints(100)).grep(even).map((x: number) => x + 1).collect();
      sink.run();
      const grep = sink.source.peer('out')!.process;
      const map = grep.peer('out')!.process;
      expect(countersOf(grep).get('in')!.records).toBe(100);
      expect(countersOf(map).get('in')!.records).toBe(50);
      expect(countersOf(sink.process).get('in')!.records).toBe(50);

      const bytes = io.from([new Uint8Array(7)]).collect();
      const first = bytes.source.peer('out')!.process;
      bytes.source.peer('out')!.process.entry('>in', 'flow').ready()(new Uint8Array(7), 0, 7);
      expect(countersOf(first).get('in')).toMatchObject({ records: 7, bytes: 7, chunks: 1 });
    } finally {
      detach();
    }
  });
});
