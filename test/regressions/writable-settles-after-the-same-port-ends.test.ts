// Regression: `writable()` on a port that waits for room never settled once
// the same port called `end()`, though nothing may be written after an end.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { counts } from '../../engine/ports.js';
import '../../processes/index.js';
import { Port } from '../../net/endpoints.js';

describe('writable() after end() on the same port', () => {
  it('settles false, and no wait is left behind', async () => {
    const io = new IO();
    const reader = Port.create(io, { capacity: 1 });
    const writer = Port.create(io);
    writer.connect(reader);
    expect(writer.write([1, 2])).toBe(1); // the reader is full now
    const room = writer.writable();
    writer.end();
    expect(await room).toBe(false);
    expect(counts(io).waiters).toBe(0);
  });

  it('settles false when asked after the end, too', async () => {
    const io = new IO();
    const reader = Port.create(io);
    const writer = Port.create(io);
    writer.connect(reader);
    writer.end();
    expect(await writer.writable()).toBe(false);
  });
});
