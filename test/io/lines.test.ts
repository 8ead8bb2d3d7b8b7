// Line framing: random texts cut into random chunks give the lines of a
// one-shot split; the edge cases one by one; and honest admittance (a `lines`
// that made more lines than its reader takes keeps them and admits nothing).
import { describe, expect, it } from 'vitest';
import { bytesHeld } from '../../engine/bytes.js';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { buffer } from '../../processes/topology/buffer.js';
import { cat } from '../../processes/elements/cat.js';
import { collect } from '../../processes/sinks/collect.js';
import { lines, reference } from '../../processes/bytes/lines.js';
import { cut, int, rng } from './helpers.js';

const PIECES = ['a', 'bc', 'hello world', '', 'zoë', '李雷', '😀', 'x'.repeat(300), ' ', '\t', 'ω'];
const BREAKS = ['\n', '\r\n', '\n\n', '\r', '\r\r\n'];

function randomText(r: () => number): string {
  let s = '';
  const n = int(r, 60);
  for (let i = 0; i < n; i++) {
    s += PIECES[int(r, PIECES.length)];
    if (r() < 0.5) s += BREAKS[int(r, BREAKS.length)];
  }
  return s;
}

async function frame(chunks: Uint8Array[], options: { fuse?: boolean; chunkSize?: number } = {}): Promise<string[]> {
  const io = new IO({ fuse: options.fuse ?? true });
  return io.fromAsync(chunks, { bytes: true, chunkSize: options.chunkSize }).lines().collect().completion();
}

describe('lines: random chunkings give the one-shot split', () => {
  for (let seed = 1; seed <= 60; seed++) {
    it(`seed ${seed}`, async () => {
      const r = rng(seed);
      const text = randomText(r);
      const bytes = Buffer.from(text, 'utf8');
      const expected = reference(text);
      // Chunks from 1 byte (splitting every UTF-8 character) up to 40 bytes.
      const chunks = cut(bytes, r, 1 + int(r, 40));
      const fuse = seed % 2 === 0;
      expect(await frame(chunks, { fuse, chunkSize: 1 + int(r, 64) })).toEqual(expected);
    });
  }
});

describe('lines: edge cases', () => {
  const cases: [string, string[]][] = [
    ['', []],
    ['\n', ['']],
    ['\n\n\n', ['', '', '']],
    ['a', ['a']],
    ['a\nb', ['a', 'b']],
    ['a\nb\n', ['a', 'b']],
    ['a\r\nb\r\n', ['a', 'b']],
    ['a\r', ['a\r']],
    ['a\rb\n', ['a\rb']],
    ['\r\n', ['']],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), async () => {
      expect(reference(text)).toEqual(expected);
      expect(await frame([Buffer.from(text)])).toEqual(expected);
      expect(await frame(cut(Buffer.from(text), rng(text.length), 1))).toEqual(expected);
    });
  }

  it('a "\\r\\n" split between two chunks', async () => {
    expect(await frame([Buffer.from('one\r'), Buffer.from('\ntwo\r'), Buffer.from('\n')])).toEqual(['one', 'two']);
  });

  it('a UTF-8 character split across chunks, at every cut', async () => {
    const text = 'zoë 李雷 😀\nnext 😀\n';
    const bytes = Buffer.from(text);
    for (let at = 1; at < bytes.length; at++) {
      expect(await frame([bytes.subarray(0, at), bytes.subarray(at)])).toEqual(['zoë 李雷 😀', 'next 😀']);
    }
  });

  it('a multi-megabyte line in 64 KiB chunks, carried without copying it over and over', async () => {
    const big = 'y'.repeat(5 << 20);
    const text = `first\n${big}\nlast`;
    const io = new IO();
    const out = await io.fromAsync(cut(Buffer.from(text), rng(3), 64 << 10), { bytes: true }).lines().collect().completion();
    expect(out.map((l) => l.length)).toEqual([5, big.length, 4]);
    expect(out[1]).toBe(big);
    // The line is held once (plus what is in flight), not once per chunk.
    expect(bytesHeld(io).peak).toBeLessThan(big.length + (1 << 20));
    expect(bytesHeld(io).buffered).toBe(0);
  });

  it('mixed ASCII and UTF-8 in one big chunk (decoded in blocks)', async () => {
    const lines_ = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? `line ${i} zoë` : `line ${i}`));
    const text = `${lines_.join('\n')}\n`;
    expect(await frame([Buffer.from(text)], { chunkSize: 1 << 20 })).toEqual(lines_);
  });

  it('takes text chunks and byte values too', async () => {
    const io = new IO();
    expect(await io.from(['a\nb', 'c\r\n', 'd']).lines().collect().completion()).toEqual(['a', 'bc', 'd']);
    expect(await io.from([...Buffer.from('x\ny\n')]).lines().collect().completion()).toEqual(['x', 'y']);
  });
});

describe('lines: honest admittance', () => {
  it('keeps the lines its reader does not take, admits nothing meanwhile, and loses or repeats none', () => {
    const io = new IO();
    const l = new Process(io, lines);
    const b = new Process(io, buffer, { capacity: 3 });
    l.connect('out', b, 'in');
    const text = Buffer.from(Array.from({ length: 10 }, (_, i) => `L${i}`).join('\n') + '\n');
    const admitted = l.admittance('>in', Flowable.write(text));
    expect(admitted.size).toBe(text.length);
    expect(l.flow('>in', admitted)).toBe(text.length);
    // The buffer took 3 lines; 7 are kept and the input admits nothing.
    expect((b.state.items as string[]).slice(b.state.head as number)).toEqual(['L0', 'L1', 'L2']);
    expect(l.admittance('>in', Flowable.write(Buffer.from('more\n'))).size).toBe(0);
    const got: string[] = [];
    for (let round = 0; round < 10 && got.length < 10; round++) {
      const dest: unknown[] = [];
      const r = b.admittance('<out', Flowable.read(dest, 3));
      b.flow('<out', r);
      got.push(...(dest as string[]));
      // Asking again lets lines hand on what it kept.
      l.admittance('>in', Flowable.write(Buffer.from('x')));
    }
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `L${i}`));
    expect(l.state.kept).toBe(null);
  });

  it('a take after lines stops the source early', async () => {
    const io = new IO();
    const stats = { made: 0 };
    function* source(): Generator<Uint8Array> {
      for (let i = 0; i < 1000; i++) {
        stats.made++;
        yield Buffer.from(`${i}\n`.repeat(100));
      }
    }
    const out = await io.fromAsync(source(), { bytes: true }).lines().take(150).collect().completion();
    expect(out).toHaveLength(150);
    expect(stats.made).toBeLessThan(5);
  });
});

describe('lines: end of stream, fused and not', () => {
  it('hands on the last line without a newline when its input ends', () => {
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      const head = new Process(io, cat);
      const l = new Process(io, lines);
      const c = new Process(io, collect);
      head.connect('out', l, 'in');
      l.connect('out', c, 'in');
      const text = Buffer.from('a\nb\r\nc');
      head.flow('>in', head.admittance('>in', Flowable.write(text)));
      expect(c.state.items).toEqual(['a', 'b']);
      head.end('out');
      expect(c.state.items).toEqual(['a', 'b', 'c']);
      expect(c.state.done).toBe(true);
    }
  });
});
