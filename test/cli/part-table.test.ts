// The parts of a -j run in shared memory (bin/part-table.ts): readers that claim
// their bytes and splits that take the unread half of a part, interleaved at
// random, still read every byte of the file exactly once; the parts, taken in
// the order the merge takes them, give the file back; every part starts at a
// line start (never at a line that starts with a byte order mark); a part that
// is finished, or has too little left, is never split. And a run of the
// command line over parts split off while another thread held theirs prints
// what one thread prints.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 as random } from '../../engine/scheduler.js';
import { main } from '../../bin/cli.js';
import { cutIntoParts, partReader } from '../../bin/file-parts.js';
import { runParts, type PartMessage } from '../../bin/job-worker.js';
import { PartTable } from '../../bin/part-table.js';

const scratch = mkdtempSync(join(tmpdir(), 'pushback-part-table-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MARK = '\ufeff';

function randomFile(next: () => number, name: string): Buffer {
  const lines = Array.from({ length: Math.floor(next() * 400) }, () => {
    const body = 'x'.repeat(next() < 0.05 ? Math.floor(next() * 5000) : Math.floor(next() * 60));
    return next() < 0.05 ? MARK + body : body;
  });
  const ending = next() < 0.3 ? '\r\n' : '\n';
  let text = lines.join(ending);
  if (next() < 0.7 && text !== '') text += ending;
  const bytes = Buffer.from(text);
  writeFileSync(join(scratch, name), bytes);
  return bytes;
}

function isPartStart(bytes: Buffer, at: number): boolean {
  if (at === 0 || at === bytes.length) return true;
  return bytes[at - 1] === 0x0a && !bytes.subarray(at, at + 3).equals(Buffer.from(MARK));
}

describe('the parts of a -j run', () => {
  it('read every byte once, in parts that start at line starts, however reads and splits interleave', () => {
    const next = random(17);
    for (let round = 0; round < 80; round++) {
      const name = `r${round}.txt`;
      const bytes = randomFile(next, name);
      const path = join(scratch, name);
      const first = cutIntoParts(path, bytes.length, 1 + Math.floor(next() * 4)).filter((r, k) => k === 0 || r.end > r.start);
      const table = PartTable.create(path, bytes.length, first, 1 + Math.floor(next() * 200));
      /** What each part's reader read, and where it stands. */
      const read = new Map<number, { at: number; chunks: Buffer[]; done: boolean }>();
      const active = (): number[] => [...read].filter(([, r]) => !r.done).map(([k]) => k);
      for (let step = 0; step < 5000; step++) {
        const roll = next();
        if (roll < 0.15) {
          const k = table.takeFirst() ?? table.split();
          if (k !== undefined) {
            expect(read.has(k)).toBe(false);
            read.set(k, { at: table.range(k).start, chunks: [], done: false });
          }
          continue;
        }
        const open = active();
        if (open.length === 0) {
          const k = table.takeFirst() ?? table.split();
          if (k === undefined) break;
          read.set(k, { at: table.range(k).start, chunks: [], done: false });
          continue;
        }
        const k = open[Math.floor(next() * open.length)];
        const r = read.get(k)!;
        const n = table.claim(k, r.at, 1 + Math.floor(next() * 300));
        if (n === 0) {
          table.finish(k);
          r.done = true;
          continue;
        }
        r.chunks.push(bytes.subarray(r.at, r.at + n));
        r.at += n;
        // What the readers have claimed, all together, is what they have read.
        expect(table.claimed()).toBe([...read.values()].reduce((sum, p) => sum + p.chunks.reduce((m, c) => m + c.length, 0), 0));
      }
      // Every part was read to its end; in the order of the merge they give the file back.
      const inOrder: number[] = [];
      for (let k: number | undefined = 0; k !== undefined; k = table.after(k)) inOrder.push(k);
      expect([...inOrder].sort((a, b) => a - b)).toEqual([...read.keys()].sort((a, b) => a - b));
      expect(Buffer.concat(inOrder.flatMap((k) => read.get(k)!.chunks)).equals(bytes)).toBe(true);
      for (const k of inOrder) {
        const { start, end } = table.range(k);
        expect(isPartStart(bytes, start), `part ${k} starts at ${start}`).toBe(true);
        expect(read.get(k)!.at).toBe(end);
      }
    }
  });

  it('splits only what has enough left to read and is not finished, at most 64 times', () => {
    const path = join(scratch, 'lines.txt');
    const bytes = Buffer.from('0123456789\n'.repeat(100_000));
    writeFileSync(path, bytes);
    const table = PartTable.create(path, bytes.length, cutIntoParts(path, bytes.length, 2), 1000);
    expect([table.takeFirst(), table.takeFirst(), table.takeFirst()]).toEqual([0, 1, undefined]);
    // Part 0 read to its end, part 1 finished early (as take N does): neither is split.
    expect(table.claim(0, 0, bytes.length)).toBe(table.range(0).end);
    table.finish(1);
    expect(table.split()).toBeUndefined();
    const again = PartTable.create(path, bytes.length, [{ start: 0, end: bytes.length }], 1000);
    expect(again.takeFirst()).toBe(0);
    // Splits halve what is left of the biggest part, at line starts, until there is no room for more.
    const made: number[] = [];
    for (let k = again.split(); k !== undefined; k = again.split()) made.push(k);
    expect(made).toHaveLength(64);
    const sizes = [0, ...made].map((k) => again.range(k)).map((r) => r.end - r.start);
    expect(sizes.reduce((a, b) => a + b)).toBe(bytes.length);
    for (const k of [0, ...made]) expect(again.range(k).start % 11).toBe(0);
    // A part with less than the smallest split left to read stays whole.
    const small = PartTable.create(path, bytes.length, [{ start: 0, end: 5000 }], 1000);
    expect(small.takeFirst()).toBe(0);
    expect(small.claim(0, 0, 4200)).toBe(4200);
    expect(small.split()).toBeUndefined();
  });
});

describe('a run in parts split off another thread\'s part', () => {
  it('prints, part after part in the order of the file, what one thread prints', async () => {
    const path = join(scratch, 'numbers.txt');
    const lines = Array.from({ length: 60_000 }, (_, i) => `${i} ${i % 7 === 0 ? 'ERROR' : 'INFO'} ${'.'.repeat(i % 13)}`);
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    writeFileSync(path, bytes);
    const argv = [path, 'grep', 'ERROR', 'map', 'x => x.toUpperCase()'];
    const run = async (input?: ReturnType<typeof partReader>): Promise<string> => {
      let out = '';
      const status = await main(argv, {
        stdin: Readable.from([]),
        stdout: new Writable({ write(chunk: Buffer, _encoding, callback) { out += chunk.toString(); callback(); } }),
        stderr: new Writable({ write(_chunk, _encoding, callback) { callback(); } }),
        stderrIsTTY: false,
        services: false,
        input,
      });
      expect(status).toBe(0);
      return out;
    };
    const one = await run();
    // Two parts: another thread has taken the first and not read any of it yet; this thread runs the second, then splits the first again and again.
    const table = PartTable.create(path, bytes.length, cutIntoParts(path, bytes.length, 2), 4096);
    expect(table.takeFirst()).toBe(0);
    const channel = new MessageChannel();
    const outputs = new Map<number, string>();
    const ended: number[] = [];
    channel.port2.on('message', (m: PartMessage) => {
      if (m.kind === 'out') {
        outputs.set(m.part, (outputs.get(m.part) ?? '') + Buffer.from(m.bytes).toString());
        channel.port2.postMessage({ ack: m.bytes.byteLength });
      }
      if (m.kind === 'end') ended.push(m.part);
    });
    await runParts(main, { argv, path, size: bytes.length, parts: table.shared, credit: 1 << 20 }, channel.port1);
    // Messages on a port arrive in order: once this one is here, so are the parts' ends.
    await new Promise<void>((resolve) => {
      channel.port2.on('message', (m: { kind: string }) => m.kind === 'all sent' && resolve());
      channel.port1.postMessage({ kind: 'all sent' });
    });
    expect(ended.length).toBeGreaterThan(3);
    expect(ended).not.toContain(0);
    // The other thread runs what is left of its part.
    outputs.set(0, await run(partReader(path, table.readable(0))));
    table.finish(0);
    channel.port1.close();
    channel.port2.close();
    const inOrder: string[] = [];
    for (let k: number | undefined = 0; k !== undefined; k = table.after(k)) inOrder.push(outputs.get(k) ?? '');
    expect(inOrder.length).toBe(ended.length + 1);
    expect(inOrder.join('')).toBe(one);
  }, 60_000);
});
