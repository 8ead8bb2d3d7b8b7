// End of stream: a half-close propagated along the chain; reducers emit when
// their input ends; a chain exposes a completion promise; an early close of the
// output ends the run cleanly and stops the source.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesHeld } from '../../engine/bytes.js';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { HIGH_WATER } from '../../processes/sinks/output.js';
import { map } from '../../processes/elements/map.js';
import { ClosingWriter, counted } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pushback-eos-'));

describe('completion', () => {
  it('resolves with the sink result once everything has flowed', async () => {
    const io = new IO();
    const sink = io.from([1, 2, 3]).map((x) => x * 10).collect();
    expect(sink.done).toBe(false);
    expect(await sink.completion()).toEqual([10, 20, 30]);
    expect(sink.done).toBe(true);
    // Asking again gives the same run.
    expect(await sink.completion()).toEqual([10, 20, 30]);
  });

  it('a reducer emits its result when its input closes, and only then', async () => {
    const io = new IO();
    const seen: number[] = [];
    const chain = io.fromAsync((async function* () {
      yield 1;
      yield 2;
      // Nothing has come out of sum yet: its input is still open.
      expect(seen).toEqual([]);
      yield 3;
    })()).sum();
    await chain.each((x) => seen.push(x)).completion();
    expect(seen).toEqual([6]);
  });

  it('files in and out', async () => {
    const input = join(dir, 'in.txt');
    const output = join(dir, 'out.txt');
    writeFileSync(input, 'b\na\nzoë\r\nc');
    const io = new IO();
    const written = await io.file(input).lines().map((l: string) => `<${l}>`).unlines().toFile(output).completion();
    expect(readFileSync(output, 'utf8')).toBe('<b>\n<a>\n<zoë>\n<c>\n');
    expect(written).toBe(Buffer.byteLength('<b>\n<a>\n<zoë>\n<c>\n'));
    // Synchronous reads give the same.
    const io2 = new IO();
    expect(await io2.file(input, { sync: true, chunkSize: 3 }).lines().collect().completion()).toEqual(['b', 'a', 'zoë', 'c']);
  });

  it('an unreadable file rejects the run with a clear message', async () => {
    const io = new IO();
    await expect(io.file(join(dir, 'missing.txt')).lines().collect().completion()).rejects.toThrow(/cannot read .*missing\.txt: no such file or directory/);
    const io2 = new IO();
    await expect(io2.file(dir).lines().collect().completion()).rejects.toThrow(/it is a directory/);
  });
});

describe('end of stream is a half-close propagated along the chain', () => {
  it('map closes its out when its in closes', () => {
    const io = new IO();
    const m = new Process(io, map, { f: (x: number) => x });
    const c = new Process(io, collect);
    m.connect('out', c, 'in');
    const up = new Process(io, map, { f: (x: number) => x });
    up.connect('out', m, 'in');
    expect(c.isEnded('in')).toBe(false);
    up.end('out');
    expect(m.isEnded('in')).toBe(true);
    expect(c.isEnded('in')).toBe(true);
  });

  it('whenEnded and whenWritableAgain settle on end', async () => {
    const io = new IO();
    const a = new Process(io, map, { f: (x: number) => x });
    const b = new Process(io, map, { f: (x: number) => x });
    a.connect('out', b, 'in');
    const ended = b.whenEnded('in');
    const writable = a.whenWritableAgain('out');
    b.end('in'); // the reader goes away: the writer wakes and sees the end
    a.end('out');
    await Promise.all([ended, writable]);
    expect(a.isEnded('out')).toBe(true);
  });

  it('writableAgain travels upstream to the process waiting to write', async () => {
    const io = new IO();
    const a = new Process(io, map, { f: (x: number) => x });
    const b = new Process(io, map, { f: (x: number) => x });
    const c = new Process(io, collect);
    a.connect('out', b, 'in');
    b.connect('out', c, 'in');
    let woken = false;
    const waiting = a.whenWritableAgain('out').then(() => { woken = true; });
    await Promise.resolve();
    expect(woken).toBe(false);
    c.writableAgain('in');
    await waiting;
    expect(woken).toBe(true);
  });
});

describe('an early close of the output', () => {
  it('ends the run cleanly and stops the source', async () => {
    const io = new IO();
    const stats = { made: 0 };
    const w = new ClosingWriter(256 * 1024);
    const written = await io.fromAsync(counted(64 << 20, 64 * 1024, stats), { bytes: true }).write(w).completion();
    expect(written).toBeGreaterThanOrEqual(256 * 1024);
    // 64 MiB were on offer; the source stopped soon after the device went away:
    // at most what the device took, what the output queues, and a few chunks.
    expect(stats.made * 64 * 1024).toBeLessThanOrEqual(256 * 1024 + HIGH_WATER + 4 * 64 * 1024);
    expect(bytesHeld(io).buffered).toBe(0);
  });

  it('ends the run cleanly after lines and a map', async () => {
    const io = new IO();
    const stats = { made: 0 };
    const w = new ClosingWriter(100);
    await io.fromAsync(counted(64 << 20, 64 * 1024, stats), { bytes: true }).lines().map((l: string) => l).unlines().write(w).completion();
    // Lines here run over 7 chunks: the output's queue, a line or two, a few chunks.
    expect(stats.made * 64 * 1024).toBeLessThanOrEqual(HIGH_WATER + (2 * 7 + 4) * 64 * 1024);
  });
});

describe('pinning', () => {
  it('an output is pinned while it runs and unpinned when it has finished; stdin is a service', async () => {
    const io = new IO();
    const slowSink = io.from(['a', 'b']).unlines().toWritable(new (await import('node:stream')).PassThrough().resume());
    expect(io.isPinned(slowSink.process)).toBe(true);
    await slowSink.completion();
    expect(io.isPinned(slowSink.process)).toBe(false);
    const s = io.stdin();
    expect(io.serviceNamed('stdin')).toBe(s.source);
    expect(io.isPinned(s.source)).toBe(true);
  });
});
