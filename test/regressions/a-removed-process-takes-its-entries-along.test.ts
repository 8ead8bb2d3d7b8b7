// Regression: a server's connection left its compiled entries behind in every
// process they had inlined. A handler's pipeline step (`p.pipe((c) =>
// c.map(f))`) outlives its connection until the collector reclaims it, and it
// kept the entries of the relay it was attached to, and through their slots
// the relay, the socket process and the socket. Since V8's young-generation
// collections keep what is weakly watched, that held the whole connection
// through every one of them (about 30 µs of CPU per connection instead of
// 18). Entries that start at a removed process now let go of the processes
// they registered with, and the removed process drops its table.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import '../../processes/index.js';
import { compiledEntries } from '../../jit/entries.js';
import { stats } from '../../jit/stats.js';
import { Port } from '../../net/endpoints.js';
import type { Process } from '../../engine/process.js';

/** A client connected to a port whose connection a one-step pipeline took over (its relay). */
function pipedConnection(): { client: Port; relay: Process } {
  const io = new IO();
  const client = Port.create(io);
  const served = Port.create(io);
  client.connect(served);
  served.pipe((c) => c.map((x) => (x as number) + 1));
  return { client, relay: served.process };
}

describe('a removed process takes its entries along', () => {
  it('a pipeline step no longer keeps the entries of the relay it served', () => {
    const { client, relay } = pipedConnection();
    const step = relay.peer('out')!.process;
    // The client's write compiles the relay's entry, which inlines the step and is kept by it.
    expect(client.write([1])).toBe(1);
    expect(compiledEntries(step).some((e) => e.start === relay)).toBe(true);
    relay.remove();
    expect(compiledEntries(step).filter((e) => e.start === relay)).toEqual([]);
    expect(compiledEntries(relay)).toEqual([]);
  });

  it('an entry of a removed process still works if called, compiled again, and no invalidation is counted', () => {
    const { relay } = pipedConnection();
    const entry = relay.entry('>peer', 'admittance');
    expect(entry.ready()(5)).toBeGreaterThan(0);
    const invalidations = stats.invalidations;
    relay.remove();
    // Removing disconnected the relay: a stale entry, counted by the disconnects, not by the removal.
    expect(stats.invalidations - invalidations).toBeGreaterThan(0);
    const counted = stats.invalidations;
    // Called again (a handle kept on it), it compiles for what the relay is now: nothing connected, nothing admitted.
    expect(entry.ready()(5)).toBe(0);
    expect(stats.invalidations).toBe(counted);
  });
});
