// A process frozen while it waited to send what it still held after its input
// ended resumes that wait after a restore, and sends it once (its end-of-stream
// rule is not run again: a count would send its total twice).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../api/io.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';
import { count } from '../../processes/sinks/count.js';
import { union } from '../../processes/topology/union.js';
import { output, attach } from '../../processes/sinks/output.js';
import type { Done, Writer } from '../../processes/sinks/writers.js';

/** A value writer that confirms a write only when told to. */
function heldWriter(into: unknown[]): Writer & { confirm(): void } {
  const waiting: Done[] = [];
  return {
    bytes: false,
    name: 'held',
    write(chunk, done) {
      into.push(chunk);
      waiting.push(done);
    },
    end(done) {
      done();
    },
    onError() {},
    confirm() {
      for (const done of waiting.splice(0)) done();
    },
  };
}

/** A value writer that confirms every write at once. */
function quickWriter(into: unknown[]): Writer {
  return { bytes: false, name: 'quick', write(chunk, done) { into.push(chunk); done(); }, end(done) { done(); }, onError() {} };
}

describe('resuming what a frozen process was waiting for', () => {
  it('a count whose total waited for room downstream sends it once after the restore', async () => {
    const io = new IO();
    const received: unknown[] = [];
    const writer = heldWriter(received);
    // cat#1 -> count#2 -> union#3 <- cat#4, union#3 -> output#5 (room for one unconfirmed value)
    const counted = new Process(io, cat);
    const total = new Process(io, count);
    const u = new Process(io, union);
    const other = new Process(io, cat);
    const o = attach(new Process(io, output, { writer, highWater: 1 }));
    counted.connect('out', total, 'in');
    total.connect('out', u, 'in[0]');
    other.connect('out', u, 'in[1]');
    u.connect('out', o, 'in');
    counted.flow('>in', Flowable.write(['a', 'b', 'c']));
    other.flow('>in', Flowable.write(['first']));
    // The output is full: the total (3) waits in the count.
    counted.end('out');
    expect(received).toEqual(['first']);
    const file = join(mkdtempSync(join(tmpdir(), 'freezer-resume-')), 'count.snap');
    const taking = io.snapshot(file);
    // Confirmed while the snapshot holds the output: the total still waits, and is frozen waiting.
    setImmediate(() => writer.confirm());
    await taking;
    // This run goes on after the snapshot: its total went out once the hold was released.
    expect(received).toEqual(['first', 3]);

    const after: unknown[] = [];
    const restored = await IO.restore(file, { resources: { 'output#5.writer': quickWriter(after) } });
    expect(restored.process('count#2').isEnded('in')).toBe(true);
    // Resumed at once: the total goes out, once.
    expect(after).toEqual([3]);
    restored.process('cat#4').end('out');
    await restored.completion();
    expect(after).toEqual([3]);
    expect(restored.process('output#5').state.done).toBe(true);
  });
});
