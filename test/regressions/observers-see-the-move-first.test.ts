// Regression: when a connection whose peer had already ended its stream moved
// to a port with a pipeline, observers saw that port close and disconnect
// before the `move` that had put the connection there.
import { describe, expect, it } from 'vitest';
import { localAddress } from '../../engine/address.js';
import { IO } from '../../engine/io.js';
import { observe, type PortEvent } from '../../engine/ports.js';
import '../../processes/index.js';
import { Port } from '../../net/endpoints.js';

function touches(e: PortEvent, address: number): boolean {
  switch (e.op) {
    case 'connect':
    case 'disconnect':
      return e.a === address || e.b === address;
    case 'close':
      return e.end === address;
    default:
      return false;
  }
}

describe('observers and a move', () => {
  for (const mode of ['pipe', 'plain'] as const) {
    it(`see the move before anything at the new port (${mode})`, () => {
      const io = new IO();
      const listen = Port.listen(io);
      const client = Port.create(io);
      client.connect(listen);
      client.write([1, 2, 3]);
      client.end();
      client.close();
      const events: PortEvent[] = [];
      observe(io, (e) => events.push(e));
      const moved = mode === 'pipe' ? listen.move({ pipe: (c) => c }) : listen.move();
      if (mode === 'plain') moved.close();
      const at = events.findIndex((e) => e.op === 'move');
      expect(at).toBeGreaterThanOrEqual(0);
      const to = (events[at] as Extract<PortEvent, { op: 'move' }>).to;
      expect(to).toBe(localAddress(moved.process.id, 0));
      expect(events.slice(0, at).filter((e) => touches(e, to))).toEqual([]);
      expect(events.slice(at).some((e) => e.op === 'disconnect')).toBe(true);
    });
  }
});
