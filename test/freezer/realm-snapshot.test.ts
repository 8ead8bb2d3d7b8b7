// Realm snapshots and what a snapshot saves of realms since format version 2:
// portable subscriptions and signal handlers, and pending signals, posted
// again on restore. Also `realm.snapshot` (one realm subtree with its
// processes) and a snapshot written in format version 1, still read.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Flowable } from '../../engine/flowable.js';
import { IO } from '../../api/io.js';
import { Process } from '../../engine/process.js';
import { cat } from '../../processes/elements/cat.js';
import { map } from '../../processes/elements/map.js';
import { collect } from '../../processes/sinks/collect.js';
import '../../processes/index.js';
import { readSnapshot, RestoreError, SNAPSHOT_FORMAT_VERSION } from '../../freezer/index.js';
import { encodeSnapshot, readSnapshotFile } from '../../freezer/format.js';
import { encodeGraph } from '../../freezer/graph.js';
import type { FrozenRealm } from '../../freezer/realms.js';
import type { Match } from '../../realm/pattern.js';

const dir = mkdtempSync(join(tmpdir(), 'freezer-realms-'));

describe('subscriptions, handlers and pending signals in a snapshot', () => {
  it('round trip: a restored subscription fires on a new assertion, a late subscriber sees the restored proclamations, a pending signal is handled once more', async () => {
    const io = new IO();
    const inner = io.realm.child({ name: 'inner' });
    const deeper = inner.child({ name: 'deeper' });
    // Portable bodies: they touch nothing but their arguments.
    inner.subscribe(['$reading'], (m) => {
      const box = m.args[0] as { hits?: number };
      box.hits = (box.hits ?? 0) + 1;
    });
    deeper.act(() => inner.on('ask', (s) => {
      const box = s.args[0] as { handled?: number };
      box.handled = (box.handled ?? 0) + 1;
      // No reply: the signal stays pending (its handler keeps it).
    }));
    const before = { handled: 0 };
    void deeper.signal('ask', before);
    const reading = { celsius: 21 };
    inner.proclaim('reading', reading);
    io.realm.world.run();
    expect([before.handled, (reading as { hits?: number }).hits]).toEqual([1, 1]);
    const file = join(dir, 'portable.snap');
    const report = await io.snapshot(file);
    expect(report.notes.map((n) => [n.process, n.what.replace(/\(id \d+\)/, '(id N)')])).toEqual([
      [deeper.label, `the signal #ask (id N) posted here by ${deeper.label}, not answered yet`],
    ]);
    expect(report.notes[0]!.restore).toBe('posts it again from here; its sender is gone, so the reply goes nowhere and the code that awaited it is not resumed');

    const restored = await IO.restore(file);
    const [inner2] = restored.io.realm.children;
    const [deeper2] = inner2!.children;
    // Watch the signal posted again go by (a subscription made after the restore: any body will do).
    const asks: { handled?: number }[] = [];
    deeper2!.subscribe(['#ask'], (m: Match) => void asks.push(m.args[0] as { handled?: number }));
    restored.io.realm.world.run();
    // Handled once more, by the restored handler, with the restored argument (handled once before the snapshot).
    expect(asks).toEqual([{ handled: 2 }]);
    expect(restored.io.realm.world.stats()).toMatchObject({ subscriptions: 2, trappedSignals: 1 });
    // The restored subscription saw the restored proclamation (as a new subscription does), and fires on a new one.
    const [restoredReading] = inner2!.proclamations(['$reading']);
    expect(restoredReading!.args).toEqual([{ celsius: 21, hits: 2 }]);
    const next = { celsius: 22 } as { celsius: number; hits?: number };
    inner2!.proclaim('reading', next);
    restored.io.realm.world.run();
    expect(next.hits).toBe(1);
    // A late subscriber sees both.
    const late: unknown[] = [];
    inner2!.subscribe(['$reading'], (m: Match) => void late.push((m.args[0] as { celsius: number }).celsius));
    restored.io.realm.world.run();
    expect(late.sort()).toEqual([21, 22]);
  });

  it('a signal posted before the world ran (no handler asked yet) is delivered once after restore', async () => {
    const io = new IO();
    const inner = io.realm.child({ name: 'inner' });
    inner.on('job', (s) => {
      const box = s.args[0] as { done?: number };
      box.done = (box.done ?? 0) + 1;
      return 'ok';
    });
    inner.post('job', [{}]);
    const file = join(dir, 'posted.snap');
    await io.snapshot(file);
    const restored = await IO.restore(file);
    const [inner2] = restored.io.realm.children;
    const jobs: { done?: number }[] = [];
    inner2!.subscribe(['#job'], (m: Match) => void jobs.push(m.args[0] as { done?: number }));
    restored.io.realm.world.run();
    restored.io.realm.world.run();
    expect(jobs).toEqual([{ done: 1 }]);
    expect(restored.io.realm.world.stats()).toMatchObject({ sentSignals: 0, trappedSignals: 0 });
  });
});

describe('a saved subscription source is input like any other', () => {
  it('one that is not a portable function is refused before anything is rebuilt, naming its realm', async () => {
    const io = new IO();
    const inner = io.realm.child({ name: 'inner' });
    inner.subscribe(['$x'], (m) => void m.args.length);
    const file = join(dir, 'tampered.snap');
    await io.snapshot(file);
    const { header, graph } = await readSnapshot(file);
    const [child] = graph.realms!.children;
    const tampered: FrozenRealm = { ...graph.realms!, children: [{ ...child!, subscriptions: [{ pattern: ['$x'], body: '() => process.exit(3)' }] }] };
    writeFileSync(file, encodeSnapshot(header, encodeGraph({ ...graph, realms: tampered })));
    await expect(IO.restore(file)).rejects.toThrow(
      new RestoreError(file, ["a saved source that cannot be used: the realm at [0] (inner) 'subscription': the function `() => process.exit(3)` is not portable to another host: it uses `process` (line 1, column 7), a name from outside the function; only its own names and standard globals (Math, JSON, Number, …) may be used"]),
    );
  });
});

describe('realm.snapshot: one realm subtree', () => {
  it('saves the realm, the realms under it and the processes living there; restores it as the new container\'s realm', async () => {
    const io = new IO();
    const job = io.realm.child({ name: 'job' });
    const step = job.child({ name: 'step' });
    const other = io.realm.child({ name: 'other' });
    io.realm.set('outside', true);
    job.set('limit', 3);
    step.proclaim('phase', 'map');
    other.proclaim('phase', 'other');
    job.subscribe(['$phase'], (m) => void (m.args.length > 5 ? Math.max(1, 2) : 0));
    // cat -> map in the job's realms, collect outside it.
    const head = new Process(io, cat, {}, job);
    const doubled = new Process(io, map, { f: (x: number) => x * 2 }, step);
    const sink = new Process(io, collect);
    head.connect('out', doubled, 'in');
    doubled.connect('out', sink, 'in');
    head.flow('>in', Flowable.write([1, 2, 3]));
    const file = join(dir, 'job.snap');
    const report = await job.snapshot(file, { io });
    expect(report.processes).toBe(2);
    expect(report.notes.map((n) => [n.process, n.what, n.restore])).toEqual([
      [doubled.label, `its port 'out' is connected to ${sink.label}, outside the snapshot's realm`, 'leaves the port unconnected'],
    ]);
    expect((await readSnapshot(file)).header.realm).toBe(job.label);
    const restored = await IO.restore(file);
    const root = restored.io.realm;
    expect(root.get('limit')).toBe(3);
    expect(root.has('outside')).toBe(false);
    const [step2] = root.children;
    expect(root.children.map((c) => c.name)).toEqual(['step']);
    expect(step2!.count('phase', 'map')).toBe(1);
    expect([...restored.processes.keys()]).toEqual([head.label, doubled.label]);
    expect(restored.process(doubled.label).realm).toBe(step2);
    expect(restored.process(head.label).realm).toBe(root);
    expect(restored.process(doubled.label).isConnected('out')).toBe(false);
    expect(restored.io.realm.world.stats()).toMatchObject({ subscriptions: 1 });
  });
});

describe('format versions', () => {
  it(`writes version ${SNAPSHOT_FORMAT_VERSION}, and reads a version 1 snapshot (no subscriptions, handlers or signals saved)`, async () => {
    expect(SNAPSHOT_FORMAT_VERSION).toBe(2);
    const io = new IO();
    const inner = io.realm.child({ name: 'inner' });
    inner.proclaim('ready', 1);
    const head = new Process(io, cat);
    head.connect('out', new Process(io, collect), 'in');
    head.flow('>in', Flowable.write(['a', 'b']));
    const file = join(dir, 'now.snap');
    await io.snapshot(file);
    // What version 1 wrote: the same layout, the realms without the three lists, version 1 in the prefix.
    const { header, graph } = await readSnapshot(file);
    const strip = ({ subscriptions, handlers, signals, ...realm }: FrozenRealm): FrozenRealm => {
      expect([subscriptions, handlers, signals]).toEqual([[], [], []]);
      return { ...realm, children: realm.children.map(strip) };
    };
    const bytes = encodeSnapshot(header, encodeGraph({ ...graph, realms: strip(graph.realms!) }));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint16(8)).toBe(2);
    view.setUint16(8, 1);
    view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)));
    const old = join(dir, 'v1.snap');
    writeFileSync(old, bytes);
    expect((await readSnapshotFile(old)).version).toBe(1);
    const restored = await IO.restore(old);
    expect(restored.process('collect#2').state.items).toEqual(['a', 'b']);
    expect(restored.io.realm.children[0]!.count('ready', 1)).toBe(1);
  });
});
