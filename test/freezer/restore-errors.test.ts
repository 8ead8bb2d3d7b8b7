// What restore refuses, and how: a damaged file, a function or definition the
// caller does not supply, a saved source that is not portable. Each refusal
// comes before anything is rebuilt or any file is touched. And what it does
// not refuse: a resource it cannot reopen ends its process's streams.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { define, each } from '../../engine/definition.js';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../api/io.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';
import { map } from '../../processes/elements/map.js';
import { collect } from '../../processes/sinks/collect.js';
import '../../processes/index.js';
import { NotRestoredError, RestoreError, SnapshotFileError } from '../../freezer/index.js';
import { encodeSnapshot } from '../../freezer/format.js';
import { encodeGraph, type FrozenGraph } from '../../freezer/graph.js';

const dir = mkdtempSync(join(tmpdir(), 'freezer-errors-'));

async function smallSnapshot(name: string): Promise<string> {
  const io = new IO();
  const head = new Process(io, cat);
  const m = new Process(io, map, { f: (x: number) => x * 2 });
  head.connect('out', m, 'in');
  m.connect('out', new Process(io, collect), 'in');
  head.flow('>in', Flowable.write([1, 2, 3]));
  const file = join(dir, name);
  await io.snapshot(file);
  return file;
}

describe('restore refuses whole', () => {
  it('a truncated or corrupt snapshot, naming the file', async () => {
    const file = await smallSnapshot('good.snap');
    const bytes = readFileSync(file);
    const truncated = join(dir, 'truncated.snap');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 10));
    await expect(IO.restore(truncated)).rejects.toThrow(new SnapshotFileError(truncated, `truncated: ${bytes.length - 10} bytes of the ${bytes.length} its lengths promise`));
    const corrupt = join(dir, 'corrupt.snap');
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 20] ^= 0x40;
    writeFileSync(corrupt, damaged);
    await expect(IO.restore(corrupt)).rejects.toThrow(`snapshot ${corrupt}: corrupt: its checksum does not match its contents`);
    // The good one restores.
    const restored = await IO.restore(file);
    expect(restored.process('collect#3').state.items).toEqual([2, 4, 6]);
  });

  it('without a function that was not portable, and leaves the output file untouched', async () => {
    const input = join(dir, 'in.txt');
    const output = join(dir, 'out.txt');
    writeFileSync(input, 'a\nb\nc\n');
    const io = new IO();
    const suffix = '!';
    await io.file(input).lines().map((l: string) => l + suffix).unlines().toFile(output).completion();
    writeFileSync(output, 'a!\nb!\nc!\nwritten later\n');
    const file = join(dir, 'output.snap');
    await io.snapshot(file);
    // A chain from a file guards its functions with the error policy: the guard is a closure, passed again.
    await expect(IO.restore(file)).rejects.toThrow(RestoreError);
    await expect(IO.restore(file)).rejects.toThrow(/function 'map#3\.f' \(not portable: it uses `/);
    expect(readFileSync(output, 'utf8')).toBe('a!\nb!\nc!\nwritten later\n');
    // Given the function, the writer is reopened at the committed length: what came later is cut.
    const restored = await IO.restore(file, { functions: { 'map#3.f': (l: string) => l + suffix } });
    await restored.completion();
    expect(statSync(output).size).toBe(9);
  });

  it('without a definition of the caller, naming it', async () => {
    const twice = define('twice', { ports: ['in', 'out'], inputs: ['in'] }).flow('>in', each('emit(x); emit(x)', 'out>'));
    const io = new IO();
    const head = new Process(io, cat);
    const t = new Process(io, twice);
    head.connect('out', t, 'in');
    t.connect('out', new Process(io, collect), 'in');
    const file = join(dir, 'caller-definition.snap');
    await io.snapshot(file);
    await expect(IO.restore(file)).rejects.toThrow(/definition 'twice' \(a definition of the caller's: pass it as definitions: \[twice\]\)/);
    // Another definition of that name, without the port the saved one was connected on, is refused too.
    const changed = define('twice', { ports: ['in', 'result'], inputs: ['in'] });
    await expect(IO.restore(file, { definitions: [changed] })).rejects.toThrow("definition 'twice' as it was: twice#2 had port out, which this one does not");
    const restored = await IO.restore(file, { definitions: [twice] });
    restored.process('cat#1').flow('>in', Flowable.write([7]));
    expect(restored.process('collect#3').state.items).toEqual([7, 7]);
  });

  it('a saved source that is not a portable function (a snapshot file is input like any other)', async () => {
    const graph: FrozenGraph = {
      processes: [{ index: 1, definition: 'map', params: { f: { kind: 'source', source: 'x => process.exit(3)' } }, state: {}, ports: [] }],
      notes: [],
    };
    const file = join(dir, 'crafted.snap');
    writeFileSync(file, encodeSnapshot({ engine: 'pushback-ts@0.1.0', node: process.version, created: '', definitions: [], processes: 1 }, encodeGraph(graph)));
    await expect(IO.restore(file)).rejects.toThrow(/map#1 'f': its saved source cannot be used: .*it uses `process`/);
  });
});

describe('restore does not refuse', () => {
  it('a stream it cannot reopen: that source ends with not-restored, and the note said so', async () => {
    const io = new IO();
    const sink = io.fromReadable(Readable.from(['x\n', 'y\n'])).lines().collect();
    const file = join(dir, 'stream.snap');
    const report = await io.snapshot(file);
    expect(report.notes).toEqual([{ process: 'input#1', what: 'the reader readable is not a file, so a snapshot cannot reopen it', restore: 'ends its streams with the reason not-restored' }]);
    void sink;
    const restored = await IO.restore(file);
    expect([...restored.failed.keys()]).toEqual(['input#1']);
    await expect(restored.completion()).rejects.toThrow(NotRestoredError);
  });

  it('a local resource in a parameter: its process ends its streams as reset, with a NotRestoredError', async () => {
    class Handle {
      fd = 3;
    }
    const device = define('device', { ports: ['out'], params: ['handle'] });
    const io = new IO();
    const d = new Process(io, device, { handle: new Handle() });
    const c = new Process(io, collect);
    d.connect('out', c, 'in');
    const file = join(dir, 'handle.snap');
    const report = await io.snapshot(file);
    expect(report.notes[0]).toEqual({ process: 'device#1', what: "its parameter 'handle' (an instance of Handle) is a local resource a snapshot cannot reopen", restore: 'ends its streams with the reason not-restored' });
    const restored = await IO.restore(file, { definitions: [device] });
    const why = restored.process('collect#2').endReason('in');
    expect(why?.reason).toBe('reset');
    expect((why as { error: NotRestoredError }).error).toBeInstanceOf(NotRestoredError);
    expect((why as { error: NotRestoredError }).error.reason).toBe('not-restored');
    expect(restored.process('collect#2').state.done).toBe(true);
  });
});

describe('the realm tree', () => {
  it('comes back with its names, fields and proclamations, and each process in its realm', async () => {
    const io = new IO();
    const inner = io.realm.child({ name: 'inner' });
    const deeper = inner.child({ name: 'deeper' });
    io.realm.set('mode', 'batch');
    inner.set('limits', { rows: 10 });
    inner.proclaim('ready', 1, 'a');
    inner.proclaim('ready', 1, 'a');
    deeper.proclaim('seen', { n: 2 });
    const head = new Process(io, cat, {}, deeper);
    head.connect('out', new Process(io, collect), 'in');
    const file = join(dir, 'realm.snap');
    const report = await io.snapshot(file);
    expect(report.notes).toEqual([]);
    const restored = await IO.restore(file);
    const root = restored.io.realm;
    expect(root.get('mode')).toBe('batch');
    const [inner2] = root.children;
    expect(inner2.name).toBe('inner');
    expect(inner2.get('limits')).toEqual({ rows: 10 });
    expect(inner2.count('ready', 1, 'a')).toBe(2);
    const [deeper2] = inner2.children;
    expect(deeper2.name).toBe('deeper');
    expect(deeper2.proclamations().map((m) => [m.topic, m.args, m.count])).toEqual([['seen', [{ n: 2 }], 1]]);
    expect(restored.process('cat#1').realm).toBe(deeper2);
    expect(restored.process('collect#2').realm).toBe(root);
  });
});

describe('what a realm holds that a snapshot does not save', () => {
  it('names every subscription and handler that is not portable in the notes, with how to make it portable; a pending signal is posted again', async () => {
    const io = new IO();
    const inner = io.realm.child({ name: 'inner' });
    const deeper = inner.child({ name: 'deeper' });
    const seen: unknown[] = [];
    inner.subscribe('$ready', (m) => void seen.push(m.args));
    const cancelled = deeper.subscribe('$gone', () => undefined);
    cancelled.cancel();
    // A handler that never answers: the signal stays pending, sent by deeper, trapped in inner.
    let trapped = 0;
    inner.on('ask', () => void trapped++);
    void deeper.signal('ask', 1);
    inner.proclaim('ready', 1);
    // The realms' work runs on their scheduler.
    io.realm.world.run();
    expect([seen, trapped]).toEqual([[[1]], 1]);
    const file = join(dir, 'realm-unsaved.snap');
    const report = await io.snapshot(file);
    expect(report.notes.map((n) => [n.process, n.what.replace(/\(id \d+\)/, '(id N)'), n.restore.split(';')[0]])).toEqual([
      [inner.label, `it is observed by the subscription $ready of ${inner.label}, whose body is not portable: it uses \`seen\` (line 1, column 13), a name from outside the function; only its own names and standard globals (Math, JSON, Number, …) may be used`, 'does not subscribe again: subscribe again after the restore'],
      [inner.label, `it has a handler of ${inner.label} for #ask, which is not portable: it uses \`trapped\` (line 1, column 12), a name from outside the function; only its own names and standard globals (Math, JSON, Number, …) may be used`, 'does not install it again: install it again after the restore'],
      [deeper.label, `the signal #ask (id N) posted here by ${deeper.label}, not answered yet`, 'posts it again from here'],
    ]);
    expect(report.notes[0]!.restore).toContain('to make it portable, write it without free variables');
    const restored = await IO.restore(file);
    const [inner2] = restored.io.realm.children;
    expect(inner2.count('ready', 1)).toBe(1);
    restored.io.realm.world.run();
    // Nothing handles the signal posted again (its handler was not portable): the World answers it, to nobody.
    expect(restored.io.realm.world.stats()).toMatchObject({ subscriptions: 0, sentSignals: 0, trappedSignals: 0 });
    inner2.proclaim('ready', 2);
    restored.io.realm.world.run();
    expect(seen).toEqual([[1]]);
  });
});

describe('the snapshot is taken between turns', () => {
  it('asked for inside a flow, it sees that flow committed', async () => {
    const io = new IO();
    const head = new Process(io, cat);
    let taken: Promise<unknown> | undefined;
    const m = new Process(io, map, {
      f: (x: number) => {
        if (x === 5) taken = io.snapshot(join(dir, 'inside.snap'));
        return x;
      },
    });
    head.connect('out', m, 'in');
    m.connect('out', new Process(io, collect), 'in');
    head.flow('>in', Flowable.write([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    await taken;
    const restored = await IO.restore(join(dir, 'inside.snap'), { functions: { 'map#2.f': (x: number) => x } });
    expect(restored.process('collect#3').state.items).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
