import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { define, DefinitionError, jit } from '../../engine/definition.js';
import { Flowable } from '../../engine/flowable.js';
import { code } from '../../codegen/code.js';
import { IO } from '../../index.js';
import { Process } from '../../engine/process.js';
import { explain } from '../../jit/explain.js';
import { collect } from '../../processes/sinks/collect.js';

const payloads = ['*/ throw 1; /*', '"; throw 1; "', "'; throw 1; '", '`${(() => { throw 1 })()}`', '\u2028throw 1', '${globalThis.x = 1}', '\\', '</script>'];

describe('generated code is a security boundary', () => {
  it.each(payloads)('a value %j stays inert data', (payload) => {
    const io = new IO();
    const out = io.from([payload, 'x']).map((s: string) => s + payload).grep((s: string) => s.includes(payload)).take(5).collect().run();
    expect(out).toEqual([payload + payload, 'x' + payload]);
    const text = io.from([payload]).map((s: string) => s).collect().explain();
    expect(text).not.toContain(payload);
  });

  it.each(payloads)('a process, port or state name %j is refused', (payload) => {
    expect(() => define(payload, { ports: ['in'] })).toThrow();
    expect(() => define('ok', { ports: [payload] })).toThrow(DefinitionError);
    expect(() => define('ok', { ports: ['in'], state: { [payload]: () => 0 } })).toThrow();
    expect(() => define('ok', { ports: ['in'], params: [payload] })).toThrow();
  });

  it('a seed or limit holding code stays a value', () => {
    const io = new IO();
    const evil = '0; globalThis.pwned = true';
    const r = io.from(['a', 'b']).scan((acc: string, x: string) => acc + x, evil).collect().run();
    expect(r).toEqual([evil + 'a', evil + 'ab']);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
  });

  it('every compiled function carries a sourceURL built from its chain id and a name that says what it fuses', () => {
    const io = new IO();
    const sink = io.from([1]).map((x: number) => x).grep(() => true).collect();
    sink.run();
    const text = sink.explain();
    expect(text).toMatch(/^\/\/ chain_\d+_map_grep_collect: map#2 >in flow/);
    expect(text).toMatch(/\/\/# sourceURL=pushback:\/\/chain\/\d+\/chain_\d+_map_grep_collect\.js\n$/);
    expect(text).toContain('//   f_0$0 = map#2 parameter f');
  });

  it('dumps every compiled chain to the folder named by PUSHBACK_JIT_DUMP', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushback-dump-'));
    process.env.PUSHBACK_JIT_DUMP = dir;
    try {
      const io = new IO();
      io.from([1, 2]).map((x: number) => x * 2).drop(1).scan((a: number, x: number) => a + x, 0).collect().run();
    } finally {
      delete process.env.PUSHBACK_JIT_DUMP;
    }
    const files = readdirSync(dir);
    expect(files.some((f) => /^chain_\d+_map_drop_scan_collect\.js$/.test(f))).toBe(true);
    const source = readFileSync(join(dir, files.find((f) => f.includes('map_drop_scan'))!), 'utf8');
    expect(source).toContain('//# sourceURL=pushback://chain/');
  });

  it('code that does not compile fails with the chain, the numbered source and the location', () => {
    const io = new IO();
    const broken = define('broken', { ports: ['in'] })
      .admittance('>in', 'n')
      .flow('>in', jit(() => code`if (`));
    const p = new Process(io, broken);
    let message = '';
    try {
      explain(p, '>in');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^chain \d+ \(broken#1 >in flow\): Unexpected token .* at line \d+ column \d+\n/);
    expect(message).toMatch(/\n\s+\d+ if \(/);
  });

  it('a JIT handler emits code around the inlined rest of the chain', () => {
    const io = new IO();
    // counts chunks, not elements: code once per chunk, then the chunk moves on.
    const counter = define('counter', { ports: ['in', 'out'], inputs: ['in'], state: { chunks: () => 0 } })
      .admittance('>in', 'out>')
      .flow('>in', jit((g) => code`${g.state('chunks')}++;\n${g.move('out>')}`));
    const c = new Process(io, counter);
    const sink = new Process(io, collect);
    c.connect('out', sink, 'in');
    c.flow('>in', c.admittance('>in', Flowable.write([1, 2, 3])));
    c.flow('>in', c.admittance('>in', Flowable.write([4])));
    expect(c.state.chunks).toBe(2);
    expect(sink.state.items).toEqual([1, 2, 3, 4]);
    expect(explain(c, '>in')).toMatch(/chunks_0\+\+;[\s\S]*items_1\.push/);
  });
});
