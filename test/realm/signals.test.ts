import { describe, expect, test } from 'vitest';
import { Empty, Signal, World, raiseError, type UnhandledSignal } from '../../realm/index.js';

/** A three-level chain world → top → mid → leaf. */
function chain() {
  const world = new World();
  const top = world.child({ name: 'top' });
  const mid = top.child({ name: 'mid' });
  const leaf = mid.child({ name: 'leaf' });
  return { world, top, mid, leaf };
}

describe('signals', () => {
  test('the nearest handler replies; handlers further up never run', async () => {
    const { world, top, mid, leaf } = chain();
    const ran: string[] = [];
    world.on('ask', () => void ran.push('world'));
    top.on('ask', () => void ran.push('top'));
    mid.on('ask', (s) => {
      ran.push('mid');
      s.reply(`mid answers ${String(s.args[0])}`);
    });
    const reply = leaf.signal('ask', 'q1');
    expect(ran).toEqual([]); // nothing happens until the scheduler runs
    world.run();
    expect(await reply).toBe('mid answers q1');
    expect(ran).toEqual(['mid']);
  });

  test("a realm's own handler is nearest for its own signals", async () => {
    const { world, mid } = chain();
    mid.on('ask', () => 'self');
    world.on('ask', () => 'world');
    const reply = mid.signal('ask');
    world.run();
    expect(await reply).toBe('self');
  });

  test('unhandled at the World: the sender resumes with Empty and every table returns to its size', async () => {
    const unhandled: UnhandledSignal[] = [];
    const world = new World({ onUnhandled: (s) => unhandled.push(s) });
    const leaf = world.child().child({ name: 'leaf' });
    leaf.on('other-topic', () => 'not me');
    world.run();
    const before = world.stats();
    const replies: unknown[] = [];
    const promised = [leaf.signal('lost', 1), leaf.signal('lost', 2)];
    leaf.post('lost', [3], (v) => replies.push(v));
    expect(world.stats().pendingSignals).toBe(3);
    world.run();
    expect(await Promise.all(promised)).toEqual([Empty, Empty]);
    expect(replies).toEqual([Empty]);
    expect(unhandled.map((s) => [s.topic, s.args, s.from])).toEqual([
      ['lost', [1], 'r2:leaf'],
      ['lost', [2], 'r2:leaf'],
      ['lost', [3], 'r2:leaf'],
    ]);
    expect(world.stats()).toEqual(before);
  });

  test('a throwing onUnhandled logger is reported but the signal is still discarded', async () => {
    const world = new World({
      onUnhandled: () => {
        throw new Error('logger down');
      },
    });
    const reply = world.child().signal('lost');
    expect(() => world.run()).toThrow('logger down');
    expect(await reply).toBe(Empty);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('a thousand fire-and-forget signals leave nothing behind', () => {
    const world = new World();
    const leaf = world.child().child();
    const before = world.stats();
    for (let i = 0; i < 1000; i++) leaf.post('log', [i]);
    world.run();
    expect(world.stats()).toEqual(before);
  });

  test("a detached realm's signals skip its creator", async () => {
    const world = new World();
    const creator = world.child({ name: 'creator' });
    const ran: string[] = [];
    creator.on('ask', () => {
      ran.push('creator');
      return 'creator';
    });
    const child = creator.child();
    const sandbox = creator.detached({ name: 'sandbox' });
    const fromChild = child.signal('ask');
    const fromSandbox = sandbox.signal('ask');
    world.run();
    expect(await fromChild).toBe('creator');
    expect(await fromSandbox).toBe(Empty);
    expect(ran).toEqual(['creator']);
  });

  test('two pending signals on one topic: a reply to B resumes only B', () => {
    const world = new World();
    const supervisor = world.child();
    const held: Signal[] = [];
    supervisor.on('need', (s) => void held.push(s)); // answer later
    const a = supervisor.child({ name: 'a' });
    const b = supervisor.child({ name: 'b' });
    const resumed: string[] = [];
    a.post('need', ['x'], (v) => resumed.push(`a got ${String(v)}`));
    b.post('need', ['x'], (v) => resumed.push(`b got ${String(v)}`));
    world.run();
    expect(held.map((s) => s.from)).toEqual(['r2:a', 'r3:b']);
    expect(held[0].id).not.toBe(held[1].id);

    held[1].reply('for b');
    world.run();
    expect(resumed).toEqual(['b got for b']);
    expect(held[0].answered).toBe(false);
    expect(held[1].answered).toBe(true);

    held[0].reply('for a');
    world.run();
    expect(resumed).toEqual(['b got for b', 'a got for a']);
  });

  test('the same sender with two pending signals on one topic gets each reply on the right one', async () => {
    const world = new World();
    const held: Signal[] = [];
    world.on('q', (s) => void held.push(s));
    const r = world.child();
    const first = r.signal('q', 1);
    const second = r.signal('q', 2);
    world.run();
    held[1].reply('second');
    held[0].reply('first');
    world.run();
    expect(await first).toBe('first');
    expect(await second).toBe('second');
  });

  test('a second reply to an answered signal does nothing', () => {
    const world = new World();
    const held: Signal[] = [];
    world.on('q', (s) => void held.push(s));
    const r = world.child();
    const got: unknown[] = [];
    r.post('q', [], (v) => got.push(v));
    world.run();
    held[0].reply(1);
    held[0].reply(2);
    world.run();
    held[0].reply(3);
    world.run();
    expect(got).toEqual([1]);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('a reply after the sender stopped is dropped, and no table keeps the signal', async () => {
    const world = new World();
    const held: Signal[] = [];
    world.on('q', (s) => void held.push(s));
    world.run();
    const before = world.stats();
    const sender = world.child();
    const got: unknown[] = [];
    sender.post('q', [], (v) => got.push(v));
    const promised = sender.signal('q');
    world.run();
    expect(world.stats().trappedSignals).toBe(2);
    sender.stop();
    // The awaiting code is not left hanging: the promise settles with Empty.
    expect(await promised).toBe(Empty);
    for (const s of held) s.reply('too late');
    world.run();
    expect(got).toEqual([]); // the callback of a stopped realm never runs
    expect(held.every((s) => s.answered)).toBe(true);
    expect(world.stats()).toEqual(before);
  });

  test('a sender that stops between the reply and its resumption does not resume', () => {
    const world = new World();
    const held: Signal[] = [];
    world.on('q', (s) => void held.push(s));
    const sender = world.child();
    const got: unknown[] = [];
    sender.post('q', [], (v) => got.push(v));
    world.run();
    held[0].reply('answer'); // committed: the resumption is scheduled
    sender.stop();
    world.run();
    expect(got).toEqual([]);
  });

  test('when the handling realm stops before replying, its senders resume with Empty', async () => {
    const world = new World();
    const supervisor = world.child({ name: 'supervisor' });
    // The supervisor's handler sits on the World, so the sender is not its child.
    supervisor.act(() => world.on('q', () => undefined)); // holds the signal without answering
    const sender = world.child();
    const got: unknown[] = [];
    sender.post('q', [], (v) => got.push(v));
    const reply = sender.signal('q');
    world.run();
    expect(world.stats().trappedSignals).toBe(2);
    supervisor.stop();
    world.run();
    expect(sender.stopped).toBe(false);
    expect(await reply).toBe(Empty);
    expect(got).toEqual([Empty]);
    expect(world.stats().pendingSignals).toBe(0);
    expect(world.stats().traps).toBe(0);
    // The stopped supervisor's handler is gone: a new signal is unhandled.
    const again = sender.signal('q');
    world.run();
    expect(await again).toBe(Empty);
    expect(world.stats().trappedSignals).toBe(0);
  });

  test('pass() lets the signal bubble on to the next handler; a later reply from the passer is dropped', async () => {
    const { world, top, mid, leaf } = chain();
    let passed: Signal | undefined;
    mid.on('ask', (s) => {
      if (s.args[0] === 'hard') {
        passed = s;
        s.pass();
      } else s.reply('mid');
    });
    let atTop: Signal | undefined;
    top.on('ask', (s) => void (atTop = s)); // holds it
    const easy = leaf.signal('ask', 'easy');
    const hard = leaf.signal('ask', 'hard');
    world.run();
    expect(atTop?.args).toEqual(['hard']);
    passed!.reply('mid, after passing'); // no longer its signal to answer
    world.run();
    expect(atTop!.answered).toBe(false);
    atTop!.reply('top');
    world.run();
    expect(await easy).toBe('mid');
    expect(await hard).toBe('top');
  });

  test('a signal passed above the World resumes with Empty', async () => {
    const world = new World();
    world.on('q', (s) => s.pass());
    const reply = world.child().signal('q');
    world.run();
    expect(await reply).toBe(Empty);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('the newest handler on a realm shadows older ones; cancelling it uncovers them', async () => {
    const world = new World();
    const r = world.child();
    r.on('q', () => 'old');
    const newer = r.on('q', () => 'new');
    const first = r.signal('q');
    world.run();
    newer.cancel();
    const second = r.signal('q');
    world.run();
    expect([await first, await second]).toEqual(['new', 'old']);
  });

  test('undefined is a reply value when given explicitly; a handler that returns nothing defers', async () => {
    const world = new World();
    world.on('explicit', (s) => s.reply(undefined));
    world.on('deferred', () => {});
    const explicit = world.child().signal('explicit');
    const deferred = world.child().post('deferred');
    world.run();
    expect(await explicit).toBeUndefined();
    expect(world.stats().pendingSignals).toBe(1);
    expect(deferred).toBeGreaterThan(0);
  });

  test('the #error protocol shape: a supervisor answers retry, skip or abort per failure', async () => {
    // How processes will use realms: a failing step raises #error with its
    // context and acts on the reply. Here the "process" is a plain loop.
    const world = new World();
    const supervisor = world.child({ name: 'supervisor' });
    const attempts = new Map<number, number>();
    supervisor.on('error', (s) => {
      const { index } = s.args[0] as { index: number };
      const n = (attempts.get(index) ?? 0) + 1;
      attempts.set(index, n);
      if (index === 9) return 'abort';
      return n < 2 ? 'retry' : 'skip';
    });
    const proc = supervisor.child({ name: 'proc' });
    const input = [1, 2, 0, 4, 0, 6, 7, 8, 9, 10];
    const out: number[] = [];
    let flaky = true;
    const step = (x: number) => {
      if (x === 0) throw new Error('division by zero');
      if (x === 10) throw new Error('fatal');
      if (x === 4 && flaky) {
        flaky = false;
        throw new Error('transient');
      }
      return 12 / x;
    };
    const run = async () => {
      for (let i = 0; i < input.length; ) {
        try {
          out.push(step(input[i]));
          i++;
        } catch (cause) {
          const decision = await raiseError(proc, { process: proc.label, port: 'in', index: i, cause });
          if (decision === 'retry') continue;
          if (decision === 'skip') i++;
          else return 'aborted';
        }
      }
      return 'done';
    };
    // Drive the scheduler until the async loop finishes.
    let result: string | undefined;
    const done = run().then((r) => (result = r));
    for (let rounds = 0; result === undefined && rounds < 100; rounds++) {
      world.run();
      await Promise.resolve();
    }
    await done;
    // Nothing lost, nothing duplicated: each good input once, the bad ones skipped.
    expect(out).toEqual([12, 6, 3, 2, 12 / 7, 1.5, 12 / 9]);
    expect([...attempts]).toEqual([
      [2, 2],
      [3, 1],
      [4, 2],
      [9, 1],
    ]);
    expect(result).toBe('aborted');
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('raiseError treats no answer, or an answer that is not a decision, as abort', async () => {
    const world = new World();
    const odd = world.child();
    odd.on('error', () => 'maybe later');
    const unsupervised = world.detached();
    const report = { process: 'p1', port: 'in', index: 0, cause: new Error('x') };
    const decisions = [raiseError(odd.child(), report), raiseError(unsupervised, report)];
    world.run();
    expect(await Promise.all(decisions)).toEqual(['abort', 'abort']);
  });
});
