// The layout runs in a worker thread: the pipeline it draws keeps running.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { graphOf } from '../../inspect/graph.js';
import { layout } from '../../inspect/layout.js';

describe('layout', { timeout: 60_000 }, () => {
  it('runs off the main thread: the event loop keeps turning while ELK works', async () => {
    const io = new IO();
    const keep = Array.from({ length: 10 }, () => {
      const s = io.from([1, 2, 3]).grep((x: number) => x > 1).map((x: number) => x).collect();
      s.run();
      return s;
    });
    await layout(graphOf(io)); // ELK loaded: what follows is one layout only
    let turns = 0;
    let laidOut = false;
    const turning = (): void => {
      turns++;
      if (!laidOut) setImmediate(turning);
    };
    setImmediate(turning);
    const placed = await layout(graphOf(io));
    laidOut = true;
    expect(keep).toHaveLength(10);
    expect(placed.processes.size).toBe(40);
    expect(placed.chains.size).toBe(10);
    // In-thread, ELK would run as one synchronous call between two turns.
    expect(turns).toBeGreaterThan(10);
  });

  it('places every port on the side of its direction: inputs west, outputs east', async () => {
    const io = new IO();
    const s = io.from([1]).map((x: number) => x).collect();
    s.run();
    const placed = await layout(graphOf(io));
    for (const box of placed.processes.values()) {
      for (const port of box.ports) {
        if (port.input) expect(port.x + port.width / 2).toBeLessThan(box.x + box.width / 2);
        else expect(port.x + port.width / 2).toBeGreaterThan(box.x + box.width / 2);
      }
    }
  });
});
