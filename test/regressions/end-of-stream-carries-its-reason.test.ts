// Regression: an end of stream said nothing about why it came, so a crashed
// writer looked exactly like a clean end, to the reader and in the `$ended`
// proclamation. The reason (`end`, `error` with the error, `reset`) now travels
// with the end of stream, through the processes it passes, and into `$ended`.
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { errorEnd, resetEnd, type EndReason } from '../../engine/ports.js';
import { Process } from '../../engine/process.js';
import { World, _, type Match } from '../../realm/index.js';
import { collect } from '../../processes/sinks/collect.js';
import { map } from '../../processes/elements/map.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the reason an end of stream carries', () => {
  it('a clean end, an error and a reset reach the reader as such', () => {
    const io = new IO();
    const boom = new Error('boom');
    for (const [why, expected] of [[undefined, { reason: 'end' }], [errorEnd(boom), { reason: 'error', error: boom }], [resetEnd(), { reason: 'reset' }]] as const) {
      const a = new Process(io, map, { f: (x: unknown) => x });
      const b = new Process(io, collect);
      a.connect('out', b, 'in');
      expect(b.endReason('in')).toBeUndefined();
      a.end('out', why as EndReason | undefined);
      expect(b.endReason('in')).toEqual(expected);
      expect(a.sentReason('out')).toEqual(expected);
    }
  });

  it('a truncated input ends the outputs after it for the same reason', () => {
    const io = new IO();
    const first = new Process(io, map, { f: (x: unknown) => x });
    const second = new Process(io, map, { f: (x: unknown) => x });
    const sink = new Process(io, collect);
    first.connect('out', second, 'in');
    second.connect('out', sink, 'in');
    first.end('out', resetEnd());
    expect(sink.endReason('in')).toEqual({ reason: 'reset' });
  });

  it('a run aborted by an error ends its streams with that error, and $ended says so', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const reasons: unknown[] = [];
    world.subscribe(['$ended', _, _, _], (m: Match) => {
      reasons.push(m.args[2]);
    });
    await settle();
    const failure = await io.fromAsync([1, 2, 3]).map((x: number) => {
      if (x === 2) throw new RangeError('two');
      return x;
    }).collect().completion().then(() => undefined, (e: unknown) => e);
    await settle();
    expect(failure).toBeInstanceOf(Error);
    expect(reasons.length).toBeGreaterThan(0);
    for (const why of reasons) expect(why).toEqual({ reason: 'error', error: failure });
  });

  it('a clean end is proclaimed as { reason: "end" }', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const reasons: unknown[] = [];
    world.subscribe(['$ended', _, _, _], (m: Match) => {
      reasons.push(m.args[2]);
    });
    await settle();
    const a = new Process(io, map, { f: (x: unknown) => x });
    const b = new Process(io, collect);
    a.connect('out', b, 'in');
    a.end('out');
    await settle();
    expect(reasons).toEqual([{ reason: 'end' }]);
  });
});
