// Dependency pinning: a chain nobody holds is collected, even when its source is
// a pinned core service; a chain attached to a side effect stays alive.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { from, pump } from '../../processes/sources/from.js';
import { Chain } from '../../api/chain.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const nextJob = () => new Promise((resolve) => setImmediate(resolve));

// deref() keeps its target alive until the current job ends, so every check of
// `until` is followed by a new job before the next gc(); finalizers run after it.
async function collectGarbage(until: () => boolean): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await nextJob();
    gc();
    await nextJob();
    if (until()) return;
  }
}

/** A core-service source (like stdin) with map -> grep behind it; returns weak refs only. */
function build(io: IO, seen?: unknown[]) {
  const source = io.service('numbers', new Process(io, from, { xs: [1, 2, 3, 4] }));
  const chain = new Chain<number>(io, source, source).map((x) => x * 2).grep((x) => x > 2);
  // Compile the source's entries so they inline map and grep, as a running chain would.
  source.entry('out>', 'admittance').ready();
  source.entry('out>', 'flow').ready();
  if (seen) chain.each((x) => seen.push(x));
  return { source, map: new WeakRef(chain.tail.peer('in')!.process), grep: new WeakRef(chain.tail) };
}

describe('dependency pinning', () => {
  it('collects an unattached chain even though its source is a pinned core service', async () => {
    const io = new IO();
    const { source, map, grep } = build(io);
    expect(io.count).toBe(3);
    await collectGarbage(() => map.deref() === undefined && grep.deref() === undefined && io.count === 1);
    expect(map.deref()).toBeUndefined();
    expect(grep.deref()).toBeUndefined();
    expect(io.count).toBe(1);
    expect(source.isConnected('out')).toBe(false);
    expect(io.serviceNamed('numbers')).toBe(source);
  });

  it('keeps a chain attached to a side effect, which then still runs', async () => {
    const io = new IO();
    const seen: unknown[] = [];
    const { source, map, grep } = build(io, seen);
    await collectGarbage(() => false);
    expect(map.deref()).toBeDefined();
    expect(grep.deref()).toBeDefined();
    expect(io.count).toBe(4);
    expect(pump(source)).toBe('done');
    expect(seen).toEqual([4, 6, 8]);
  });

  it('releases a side effect once it is unpinned', async () => {
    const io = new IO();
    let sinkRef: WeakRef<object>;
    (() => {
      const s = io.from([1]).map((x: number) => x).each(() => undefined);
      sinkRef = new WeakRef(s.process);
      s.unpin();
    })();
    await collectGarbage(() => sinkRef.deref() === undefined && io.count === 0);
    expect(sinkRef!.deref()).toBeUndefined();
    expect(io.count).toBe(0);
  });
});
