// The realm integration with the engine: processes in realms, #error from
// fused code (retry / skip / abort / unhandled), connection and end-of-stream
// proclamations, and sandboxes holding a vassal of the IO container.
//
// No timers: the engine runs the World at a microtask after it raises a
// signal, and the tests wait on promises that handlers resolve.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { aborted, collect, IO, map, Process, UserCodeError } from '../../index.js';
import { engineHooks } from '../../realm/placement.js';
import {
  CapabilityError,
  Empty,
  Rest,
  World,
  _,
  bind,
  take,
  transform,
  type ErrorDecision,
  type ErrorReport,
  type Match,
  type Realm,
  type Signal,
} from '../../realm/index.js';
import { PUMP_CHUNK } from '../../processes/sources/from.js';
import { readOnlyIO, sandbox } from '../../sandbox/sandbox.js';

/** A user function that counts its calls per element and throws `failures.get(x)` times on x. */
function flaky<X, Y>(fn: (x: X) => Y, failures: Map<X, number>) {
  const calls = new Map<X, number>();
  const f = (x: X): Y => {
    calls.set(x, (calls.get(x) ?? 0) + 1);
    const left = failures.get(x) ?? 0;
    if (left > 0) {
      failures.set(x, left - 1);
      throw new Error(`bad ${String(x)}`);
    }
    return fn(x);
  };
  return { f, calls };
}

/** A world whose `#error` handler answers `decide(report)` and records every report. */
function supervisor(decide: (r: ErrorReport) => ErrorDecision | undefined) {
  const world = new World();
  const reports: ErrorReport[] = [];
  world.on('error', (s) => {
    const r = s.args[0] as ErrorReport;
    reports.push(r);
    return decide(r);
  });
  return { world, io: new IO({ realm: world }), reports };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('#error from a fused chain', () => {
  test('retry: the failing element is given to the failing step again; nothing is lost or duplicated', async () => {
    const { io, reports } = supervisor(() => 'retry');
    const xs = range(3 * PUMP_CHUNK + 17);
    const bad = new Map([[5, 1], [4096, 2], [9000, 1], [xs.length - 1, 3]]);
    const { f, calls } = flaky((x: number) => x * 2, new Map(bad));
    const pCalls = new Map<number, number>();
    const p = (y: number) => {
      pCalls.set(y, (pCalls.get(y) ?? 0) + 1);
      return y % 3 !== 0;
    };
    const out = await io.from(xs).onError('realm').map(f).grep(p).collect().completion();

    expect(out).toEqual(xs.map((x) => x * 2).filter((y) => y % 3 !== 0));
    expect(xs.map((x) => calls.get(x))).toEqual(xs.map((x) => 1 + (bad.get(x) ?? 0)));
    expect(xs.map((x) => pCalls.get(x * 2))).toEqual(xs.map(() => 1)); // the step after ran once per element
    expect(reports.map((r) => [r.index, r.element, r.attempts])).toEqual([
      [5, 5, 1],
      [4096, 4096, 1],
      [4096, 4096, 2],
      [9000, 9000, 1],
      [xs.length - 1, xs.length - 1, 1],
      [xs.length - 1, xs.length - 1, 2],
      [xs.length - 1, xs.length - 1, 3],
    ]);
    expect(reports.every((r) => r.process.startsWith('map#') && r.port === 'in')).toBe(true);
  });

  test('skip: the failing elements are dropped where they failed; every other one goes through once', async () => {
    const { io, reports } = supervisor(() => 'skip');
    const xs = range(2 * PUMP_CHUNK + 5);
    const bad = new Set([0, 7, 4095, 4096, xs.length - 1]);
    const { f, calls } = flaky((x: number) => x + 1, new Map([...bad].map((x) => [x, 1])));
    const out = await io.from(xs).onError('realm').map(f).grep((y: number) => y % 2 === 0).collect().completion();

    expect(out).toEqual(xs.filter((x) => !bad.has(x)).map((x) => x + 1).filter((y) => y % 2 === 0));
    expect(xs.map((x) => calls.get(x))).toEqual(xs.map(() => 1));
    expect(reports.map((r) => r.index)).toEqual([...bad]);
    expect(reports.map((r) => (r.cause as Error).message)).toEqual([...bad].map((x) => `bad ${x}`));
  });

  test('a retry runs only the failing step and the ones after it: a scan before it counts the element once', async () => {
    const { io } = supervisor(() => 'retry');
    const xs = range(1000);
    const seen: number[] = [];
    // grep fails once on the running sum after element 500; map fails once on element 700's sum.
    const sums = xs.map((_, i) => (i * (i + 1)) / 2);
    const { f: p, calls: pCalls } = flaky((s: number) => (seen.push(s), true), new Map([[sums[500], 1]]));
    const { f, calls } = flaky((s: number) => -s, new Map([[sums[700], 1]]));
    const out = await io.from(xs).onError('realm').scan((a: number, x: number) => a + x, 0).grep(p).map(f).collect().completion();

    expect(out).toEqual(sums.map((s) => -s));
    expect(seen).toEqual(sums);
    expect(pCalls.get(sums[500])).toBe(2);
    expect(calls.get(sums[700])).toBe(2);
    expect(calls.get(sums[500])).toBe(1); // map never saw the failed attempt
  });

  test('a reducer keeps its accumulator across a skipped and a retried element', async () => {
    const { io } = supervisor((r) => (r.element === 10 ? 'skip' : 'retry'));
    const xs = range(100);
    const failures = new Map([[10, 1], [20, 1], [99, 2]]);
    const add = (a: number, x: number) => {
      const left = failures.get(x) ?? 0;
      if (left > 0) {
        failures.set(x, left - 1);
        throw new Error(`bad ${x}`);
      }
      return a + x;
    };
    const total = await io.from(xs).onError('realm').reduce(add, 0).completion();
    expect(total).toBe(xs.reduce((a, x) => a + x, 0) - 10);
  });

  test('the source pauses while the answer is pending; what went before is committed, nothing after it moves', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    let trapped!: (s: Signal) => void;
    const pending = new Promise<Signal>((resolve) => (trapped = resolve));
    world.on('error', (s) => void trapped(s)); // keep it, answer later
    const xs = range(3 * PUMP_CHUNK);
    const failAt = PUMP_CHUNK + 100;
    const { f, calls } = flaky((x: number) => x, new Map([[failAt, 1]]));
    const sink = io.from(xs).onError('realm').map(f).collect();
    const done = sink.completion();

    const s = await pending;
    const items = sink.process.state.items as number[];
    expect(items).toEqual(range(failAt)); // committed before the bad element
    expect(calls.size).toBe(failAt + 1); // nothing after it ran
    expect(sink.source.state.pos).toBe(2 * PUMP_CHUNK); // the gate took the chunk; the source waits
    const gate = [...io.processes()].find((p) => p.def.name === 'gate')!;
    expect((gate.state.held as number[]).length).toBe(PUMP_CHUNK - 101);
    expect(gate.isConnected('out') && !gate.endState(gate.portNumber('out'))[1]).toBe(true);

    s.reply('skip');
    expect(await done).toEqual(xs.filter((x) => x !== failAt));
    expect(calls.get(failAt)).toBe(1);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('the same without fusion: every process called through its own entry', async () => {
    const world = new World();
    world.on('error', (s) => ((s.args[0] as ErrorReport).element === 3 ? 'skip' : 'retry'));
    const io = new IO({ realm: world, fuse: false });
    const xs = range(50);
    const { f, calls } = flaky((x: number) => x * 3, new Map([[3, 1], [40, 2]]));
    const out = await io.from(xs).onError('realm').map(f).grep((y: number) => y % 2 === 0).collect().completion();
    expect(out).toEqual(xs.filter((x) => x !== 3).map((x) => x * 3).filter((y) => y % 2 === 0));
    expect(xs.map((x) => calls.get(x))).toEqual(xs.map((x) => (x === 40 ? 3 : 1)));
  });

  test('an IO source pauses and resumes the same way (a file read in small chunks)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushback-realm-'));
    const lines = range(2000).map((i) => `line ${i}`);
    writeFileSync(join(dir, 'in.txt'), lines.join('\n') + '\n');
    const { io, reports } = supervisor((r) => (r.element === 'line 1500' ? 'skip' : 'retry'));
    const { f, calls } = flaky((l: string) => l.length, new Map([['line 7', 2], ['line 1500', 1], ['line 1999', 1]]));
    const out = await io.file(join(dir, 'in.txt'), { chunkSize: 100 }).lines().onError('realm').map(f).collect().completion();
    expect(out).toEqual(lines.filter((l) => l !== 'line 1500').map((l) => l.length));
    expect(lines.map((l) => calls.get(l))).toEqual(lines.map((l) => (l === 'line 7' ? 3 : l === 'line 1999' ? 2 : 1)));
    expect(reports.map((r) => r.index)).toEqual([7, 7, 1500, 1999]);
  });

  test('a take after the failing step: the retried element counts once toward the limit', async () => {
    const { io } = supervisor((r) => (r.element === 1 ? 'skip' : 'retry'));
    const { f, calls } = flaky((x: number) => x, new Map([[1, 1], [3, 1]]));
    expect(await io.from(range(100)).onError('realm').map(f).take(4).collect().completion()).toEqual([0, 2, 3, 4]);
    expect(calls.get(3)).toBe(2);
  });

  test('for await is supervised too; a handler can give up after some attempts', async () => {
    const { io, reports } = supervisor((r) => ((r.attempts ?? 1) < 3 ? 'retry' : 'skip'));
    const { f, calls } = flaky((x: number) => x * 2, new Map([[2, Infinity], [3, 1]]));
    const got: unknown[] = [];
    for await (const x of io.from(range(5)).onError('realm').map(f)) got.push(x);
    expect(got).toEqual([0, 2, 6, 8]);
    expect(range(5).map((x) => calls.get(x))).toEqual([1, 1, 3, 2, 1]);
    expect(reports.map((r) => [r.element, r.attempts])).toEqual([[2, 1], [2, 2], [2, 3], [3, 1]]);
  });

  test('the end of the input waits for the answer: the last element failing still gets its retry', async () => {
    const { io } = supervisor(() => 'retry');
    const xs = range(10);
    const { f, calls } = flaky((x: number) => x, new Map([[9, 1]]));
    expect(await io.from(xs).onError('realm').map(f).collect().completion()).toEqual(xs);
    expect(calls.get(9)).toBe(2);
  });

  test('abort: the run fails with a UserCodeError; the ports end with an error end; nothing after runs', async () => {
    const { io, reports } = supervisor(() => 'abort');
    const xs = range(5000);
    const { f, calls } = flaky((x: number) => x, new Map([[1234, 1]]));
    const sink = io.from(xs).onError('realm').map(f).collect();
    const error = await sink.completion().then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(UserCodeError);
    expect((error as UserCodeError).message).toMatch(/^map#\d+: user code threw at element 1234: Error: bad 1234$/);
    expect((error as UserCodeError).index).toBe(1234);
    expect(reports).toHaveLength(1);
    expect(sink.process.state.items).toEqual(range(1234));
    expect(calls.size).toBe(1235);
    for (const p of io.processes()) {
      expect(aborted(p)).toBe(true);
      p.ports.forEach((far, n) => {
        if (far !== 0) expect(p.endState(n)[1]).toBe(true);
      });
    }
  });

  test('unhandled: no handler anywhere means abort, and no signal stays behind', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const before = world.stats();
    const { f } = flaky((x: number) => x, new Map([[3, 1]]));
    const sink = io.from(range(10)).onError('realm').map(f).collect();
    await expect(sink.completion()).rejects.toThrow(/map#\d+: user code threw at element 3: Error: bad 3/);
    expect(sink.process.state.items).toEqual([0, 1, 2]);
    expect(world.stats()).toEqual(before);
  });

  test('a handler that throws answers Empty: abort', async () => {
    const world = new World({ onError: () => undefined });
    world.on('error', () => {
      throw new Error('supervisor broke');
    });
    const io = new IO({ realm: world });
    const { f } = flaky((x: number) => x, new Map([[0, 1]]));
    await expect(io.from(range(3)).onError('realm').map(f).collect().completion()).rejects.toThrow(UserCodeError);
  });

  test('the synchronous run() cannot wait for an answer: it fails like abort', () => {
    const { io, reports } = supervisor(() => 'retry');
    const { f } = flaky((x: number) => x, new Map([[2, 1]]));
    expect(() => io.from(range(5)).onError('realm').map(f).collect().run()).toThrow(/map#\d+: user code threw at element 2/);
    expect(reports).toEqual([]);
  });
});

describe('processes live in realms', () => {
  test("a process lives in its container's realm unless created in another", () => {
    const world = new World();
    const io = new IO({ realm: world });
    const child = world.child({ name: 'job' });
    const a = new Process(io, collect);
    const b = new Process(io, collect, {}, child);
    expect(io.realm).toBe(world);
    expect(a.realm).toBe(world);
    expect(b.realm).toBe(child);
    expect(new IO().realm.world).not.toBe(world); // a container has a World of its own by default
    expect(() => new Process(io, collect, {}, new World())).toThrow(/belongs to another World/);
  });

  test('a chain within a child realm: its processes and later steps live there; its #error goes to the nearest handler', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const asked: string[] = [];
    world.on('error', () => void asked.push('world'));
    const { f } = flaky((x: number) => x * 10, new Map([[1, 1]]));
    const chain = io.from([0, 1, 2]).within('ingest');
    const job = chain.source.realm;
    expect(job.name).toBe('ingest');
    expect(job.parent).toBe(world);
    job.on('error', (s) => {
      asked.push(`${(s.args[0] as ErrorReport).process} in ${s.from}`);
      return 'skip';
    });
    const sink = chain.onError('realm').map(f).collect();
    expect(sink.process.realm).toBe(job);
    expect(await sink.completion()).toEqual([0, 20]);
    expect(asked).toEqual([`${[...io.processes()].find((p) => p.def.name === 'map')!.label} in ${job.label}`]);
  });
});

describe('connection and end-of-stream proclamations', () => {
  /** Subscribes to $connected and $ended in `realm`, logging every match and cleanup. */
  function watch(realm: Realm) {
    const log: string[] = [];
    const show = (m: Match) => `${m.topic}(${(m.args[0] as Process).label}.${String(m.args[1])}${m.topic === 'connected' ? ` -> ${(m.args[2] as { process: Process }).process.label}.${(m.args[2] as { port: string }).port}` : ''})`;
    const connected = realm.subscribe(['$connected', bind('p'), bind('port'), _], (m) => {
      log.push(`+ ${show(m)}`);
      return () => log.push(`- ${show(m)}`);
    });
    const ended = realm.subscribe(['$ended', _, _, _], (m) => {
      log.push(`+ ${show(m)}`);
      return () => log.push(`- ${show(m)}`);
    });
    return { log, cancel: () => (connected.cancel(), ended.cancel()) };
  }

  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  test('nothing is proclaimed, and no hook is installed, while nobody subscribes', () => {
    const world = new World();
    const io = new IO({ realm: world });
    const a = new Process(io, map, { f: (x: unknown) => x });
    const b = new Process(io, collect);
    a.connect('out', b, 'in');
    a.end('out');
    expect(world.proclamations()).toEqual([]);
    expect(engineHooks.ended).toBeUndefined();
  });

  test('connect, end and disconnect are seen by a subscriber, and retracted when the connection goes', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const { log, cancel } = watch(world);
    await settle();
    const a = new Process(io, map, { f: (x: unknown) => x });
    const b = new Process(io, collect);
    a.connect('out', b, 'in');
    await settle();
    expect(log).toEqual([`+ connected(${a.label}.out -> ${b.label}.in)`, `+ connected(${b.label}.in -> ${a.label}.out)`]);
    log.length = 0;
    a.end('out');
    await settle();
    expect(log).toEqual([`+ ended(${a.label}.out)`]);
    log.length = 0;
    a.disconnect('out');
    await settle();
    expect(log.sort()).toEqual([`- connected(${a.label}.out -> ${b.label}.in)`, `- connected(${b.label}.in -> ${a.label}.out)`, `- ended(${a.label}.out)`].sort());
    expect(world.proclamations()).toEqual([]);
    cancel();
    await settle();
    expect(engineHooks.ended).toBeUndefined();
  });

  test('a late subscriber sees the connections already there; removing a process retracts its; proclamations sit in the process realm', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const job = world.child({ name: 'job' });
    const a = new Process(io, map, { f: (x: unknown) => x }, job);
    const b = new Process(io, collect, {}, job);
    a.connect('out', b, 'in');
    const { log } = watch(job);
    await settle();
    expect(log.sort()).toEqual([`+ connected(${a.label}.out -> ${b.label}.in)`, `+ connected(${b.label}.in -> ${a.label}.out)`].sort());
    expect(job.proclamations(['$connected', Rest]).length).toBe(2);
    expect(world.proclamations()).toEqual([]);
    log.length = 0;
    b.remove();
    await settle();
    expect(log.sort()).toEqual([`- connected(${a.label}.out -> ${b.label}.in)`, `- connected(${b.label}.in -> ${a.label}.out)`].sort());
  });

  test('a run: every connection and every end of stream, then all retracted when the subscription ends', async () => {
    const world = new World();
    const io = new IO({ realm: world });
    const { log, cancel } = watch(world);
    await settle();
    const out = await io.from([1, 2, 3]).map((x: number) => x + 1).collect().completion();
    await settle();
    expect(out).toEqual([2, 3, 4]);
    expect(log.filter((l) => l.startsWith('+ connected'))).toHaveLength(4);
    expect(log.filter((l) => l.startsWith('+ ended')).map((l) => l.replace(/#\d+/g, ''))).toEqual(['+ ended(from.out)', '+ ended(map.out)']);
    expect(world.proclamations().length).toBe(6);
    cancel();
    await settle();
    expect(world.proclamations()).toEqual([]);
    expect(world.stats().subscriptions).toBe(0);
  });
});

describe('a sandbox holds a vassal of the IO container', () => {
  test('may read files; may not write files, write to stdout or open sockets; refusals name the capability', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushback-sandbox-'));
    const path = join(dir, 'in.txt');
    writeFileSync(path, 'one\ntwo\nthree\n');
    const io = new IO();
    const box = sandbox(io, readOnlyIO, { name: 'plugin' });

    expect(await box.file(path).lines().map((l: string) => l.toUpperCase()).collect().completion()).toEqual(['ONE', 'TWO', 'THREE']);

    const chain = box.file(path).lines();
    expect(() => chain.unlines().toFile(join(dir, 'out.txt'))).toThrow(CapabilityError);
    expect(() => box.file(path).toFile(join(dir, 'out.txt'))).toThrow("plugin: capability 'toFile' is not granted");
    expect(() => box.from([1]).toStdout()).toThrow("plugin: capability 'toStdout' is not granted");
    expect(() => box.tcpConnect({ port: 9 })).toThrow("plugin: capability 'tcpConnect' is not granted");
    expect(() => box.tcpServer(() => undefined)).toThrow("plugin: capability 'tcpServer' is not granted");
    // What it is handed out is wrapped the same way: the container behind a chain, a process.
    expect(() => (chain.io as IO).from([1]).collect().source.io.pin(chain.source)).toThrow("plugin: capability 'pin' is not granted");
    expect(() => new Process(box, collect)).toThrow("plugin: capability 'add' is not granted");
    expect(() => {
      (box as unknown as { fuse: boolean }).fuse = false;
    }).toThrow("plugin: capability 'set fuse' is not granted");
    expect(() => readFileSync(join(dir, 'out.txt'))).toThrow(); // never written
  });

  test('the same rules can grant more: a transform that confines file reads to one directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushback-sandbox-'));
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    const box = sandbox(new IO(), [
      transform(['.file', _, Rest], (m) => (String(m.args[0]).startsWith(dir) ? m : Empty)),
      take('.lines'),
      take('.collect'),
      take('.completion'),
    ], { name: 'reader' });
    expect(await box.file(join(dir, 'a.txt')).lines().collect().completion()).toEqual(['a']);
    expect(() => box.file('/etc/hostname')).toThrow("reader: capability 'file' is not granted");
    expect(() => box.from([1])).toThrow("reader: capability 'from' is not granted");
  });
});

