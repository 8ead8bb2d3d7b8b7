// What the live page is sent besides the picture: ended ports with their
// reason, queue fill, realms, JIT counters.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { pump } from '../../processes/sources/from.js';
import { Watch } from '../../inspect/live.js';

describe('live samples', () => {
  it('name who ended each stream', () => {
    const io = new IO();
    const watch = new Watch(io);
    try {
      io.from([1, 2]).map((x: number) => x).collect().run();
      const ended = watch.sample(false).ended.map((e) => `${e.label}.${e.port}: ${e.reason}`);
      expect(ended).toContain('from#1.out: ended its stream into map#2.in');
      expect(ended).toContain('map#2.in: end of stream from from#1.out');
      expect(ended).toContain('collect#3.in: end of stream from map#2.out');
    } finally {
      watch.close();
    }
  });

  it('give the error of an aborted run as the reason', async () => {
    const io = new IO();
    const watch = new Watch(io);
    try {
      const sink = io.fromAsync([1, 2, 3]).map((x: number) => {
        if (x === 2) throw new Error('boom at two');
        return x;
      }).collect();
      await expect(sink.completion()).rejects.toThrow('boom at two');
      const reasons = watch.sample(false).ended.map((e) => e.reason);
      expect(reasons.some((r) => r.startsWith('run aborted:') && r.includes('boom at two'))).toBe(true);
    } finally {
      watch.close();
    }
  });

  it('say what a buffer holds against its capacity, and what the realms hold', () => {
    const io = new IO();
    const watch = new Watch(io);
    try {
      const buffered = io.from([1, 2, 3]).buffer(8);
      pump(buffered.source); // into the buffer, whose out leads nowhere: it keeps all three
      io.realm.proclaim('status', 'ok');
      const sample = watch.sample(true);
      expect(sample.queues).toEqual([{ process: 2, label: 'buffer#2', held: 3, capacity: 8 }]);
      expect(sample.realms!.tree.proclamations).toContain('$status("ok")');
      expect(sample.jit).toHaveProperty('compiles');
      expect(watch.sample(false).tick).toBe(sample.tick + 1);
    } finally {
      watch.close();
    }
  });
});
