import { describe, expect, test } from 'vitest';
import {
  CapabilityError,
  Empty,
  Rest,
  Signal,
  Vassal,
  World,
  _,
  applyRules,
  distinct,
  attenuate,
  block,
  peek,
  take,
  transform,
  tuple,
  type Rule,
  type Tuple,
  type TurnFailure,
} from '../../realm/index.js';

describe('vassals of realms: outbound (holder → target)', () => {
  test('a blocked rule means the target never sees the event', async () => {
    const world = new World();
    const target = world.child({ name: 'target' });
    const seen: string[] = [];
    target.monitor((m) => void seen.push(`${m.kind}${m.topic}`));
    world.on('secret', () => 'leaked');
    world.on('hello', () => 'hi');
    const v = target.vassal([block('#secret'), block('$secret'), take('#'), take('$')]);
    const secretReply = v.signal('secret');
    const helloReply = v.signal('hello');
    const got: unknown[] = [];
    v.post('secret', [], (x) => got.push(x));
    const h = v.proclaim('secret', 1);
    v.proclaim('visible', 1);
    world.run();
    expect(await secretReply).toBe(Empty); // as if unhandled
    expect(await helloReply).toBe('hi');
    expect(got).toEqual([Empty]);
    expect(h.live).toBe(false);
    expect(target.count('secret', 1)).toBe(0);
    expect(seen.sort()).toEqual(['$visible', '#hello'].sort());
  });

  test('with no matching rule nothing passes (a vassal grants only what it names)', async () => {
    const world = new World();
    const target = world.child();
    world.on('anything', () => 'answered');
    const v = target.vassal([take('#allowed')]);
    const r = v.signal('anything');
    v.proclaim('state', 1);
    world.run();
    expect(await r).toBe(Empty);
    expect(target.proclamations()).toEqual([]);
  });

  test('transform rewrites in both directions: #shout(x) becomes #whisper(x)', async () => {
    const world = new World();
    const target = world.child();
    const heard: unknown[] = [];
    world.on('whisper', (s) => {
      heard.push(s.args[0]);
      return 'shh';
    });
    const rules = [transform('#shout', (m) => tuple('#whisper', ...m.args))];
    const v = target.vassal(rules);
    const reply = v.signal('shout', 'HELLO');
    world.run();
    expect(await reply).toBe('shh');
    expect(heard).toEqual(['HELLO']);
    // Inbound: a #shout raised beneath is seen through the vassal as #whisper.
    const view: string[] = [];
    v.on('whisper', (s) => {
      view.push(`${s.topic}:${String(s.args[0])}`);
      return 'vassal answered';
    });
    const below = target.child().signal('shout', 'hey');
    world.run();
    expect(view).toEqual(['whisper:hey']);
    expect(await below).toBe('vassal answered');
  });

  test('a transform may not change the kind of a tuple', () => {
    const rules = [transform('#x', () => tuple('$x'))];
    expect(() => applyRules(rules, { kind: '#', topic: 'x', args: [] })).toThrow(/may not turn a '#' tuple into a '\$' one/);
  });

  test('asserting Empty through a vassal retracts beneath only if the rules allow the topic', () => {
    const world = new World();
    const target = world.child();
    target.proclaim('status', 'up');
    target.proclaim('config', 'x');
    const v = target.vassal([take('$status')]);
    v.proclaim('config', Empty);
    v.proclaim('status', Empty);
    world.run();
    expect(target.proclamations().map((m) => m.topic)).toEqual(['config']);
  });
});

describe('vassals of realms: inbound (target → holder)', () => {
  test('take: the vassal holder answers and the signal stops bubbling in the raw realm', async () => {
    const world = new World();
    const target = world.child();
    let parentRan = false;
    world.on('admin', () => {
      parentRan = true;
      return 'parent';
    });
    const v = target.vassal([take('#admin')]);
    v.on('admin', () => 'override');
    const reply = target.child().signal('admin');
    world.run();
    expect(await reply).toBe('override');
    expect(parentRan).toBe(false);
  });

  test('peek sees the signal and the parent still replies', async () => {
    const world = new World();
    const target = world.child();
    world.on('ask', (s) => `parent answers ${String(s.args[0])}`);
    const v = target.vassal([peek('#ask')]);
    const peeked: Signal[] = [];
    v.on('ask', (s) => {
      peeked.push(s);
      s.reply('the peeker tries to answer'); // a copy has no authority
      return 'ignored too';
    });
    const reply = target.signal('ask', 7);
    world.run();
    expect(await reply).toBe('parent answers 7');
    expect(peeked.map((s) => [s.topic, s.args, s.peeked])).toEqual([['ask', [7], true]]);
  });

  test('block: the holder never sees it, and the raw realm carries on as if the vassal were not there', async () => {
    const world = new World();
    const target = world.child();
    world.on('secret', () => 'parent');
    const v = target.vassal([block('#secret'), take('#')]);
    const seen: string[] = [];
    v.on('secret', () => {
      seen.push('secret');
      return 'vassal';
    });
    v.subscribe([], (m) => void seen.push(m.topic));
    const reply = target.signal('secret');
    world.run();
    expect(await reply).toBe('parent');
    expect(seen).toEqual([]);
  });

  test('taking a proclamation hides it from later rules but does not remove it beneath', () => {
    const world = new World();
    const target = world.child();
    target.proclaim('temp', 21);
    target.proclaim('humidity', 40);
    const v = target.vassal([
      transform('$temp', (m) => tuple('$reading', 'temp', ...m.args)),
      take('$'), // would pass $temp as itself, but the transform took it first
    ]);
    const seen: string[] = [];
    v.subscribe([], (m) => {
      seen.push(`+${m.topic}(${m.args.join(',')})`);
      return () => seen.push(`-${m.topic}`);
    });
    world.run();
    expect(seen.sort()).toEqual(['+humidity(40)', '+reading(temp,21)']);
    expect(target.count('temp', 21)).toBe(1); // still there for everyone else
    // A peek, by contrast, lets later rules see it too.
    const p = target.vassal([peek('$temp', (m) => tuple('$copy', ...m.args)), take('$temp')]);
    const seen2: string[] = [];
    p.subscribe(['$'], (m) => void seen2.push(m.topic));
    world.run();
    expect(seen2).toEqual(['copy', 'temp']);
  });

  test('a vassal subscription follows retraction beneath (cleanup runs once)', () => {
    const world = new World();
    const target = world.child();
    const v = target.vassal([take('$job')]);
    const log: string[] = [];
    v.subscribe(['$job', _], (m) => {
      log.push(`+${String(m.args[0])}`);
      return () => log.push(`-${String(m.args[0])}`);
    });
    const h = target.proclaim('job', 1);
    target.proclaim('other', 1);
    world.run();
    h.retract();
    world.run();
    expect(log).toEqual(['+1', '-1']);
  });
});

describe('vassal rules that fail', () => {
  test('a rule that throws while a signal bubbles is reported and skipped; the signal still gets its answer', async () => {
    const failures: TurnFailure[] = [];
    const world = new World({ onError: (f) => failures.push(f) });
    const target = world.child({ name: 'target' });
    world.on('ask', () => 'parent');
    target.vassal([transform('#ask', () => tuple('$not-a-signal'))]).on('ask', () => 'never');
    const reply = target.signal('ask');
    world.run();
    expect(await reply).toBe('parent');
    expect(failures.map((f) => [f.turn, f.realm, String(f.error)])).toEqual([
      [null, 'r1:target', "TypeError: vassal rule #ask may not turn a '#' tuple into a '$' one"],
    ]);
    expect(world.stats().pendingSignals).toBe(0);
  });
});

describe('vassal of a vassal', () => {
  test('applies both rule lists', async () => {
    const world = new World();
    const target = world.child();
    const received: string[] = [];
    for (const topic of ['read', 'write', 'shout']) {
      world.on(topic, (s) => {
        received.push(`${topic} ${String(s.args[0])}`);
        return 'ok';
      });
    }
    const inner = target.vassal([take('#read'), take('#write'), transform('#yell', (m) => tuple('#shout', ...m.args))]);
    const outer = inner.vassal([take('#read'), take('#yell'), take('#shout')]);
    const replies = [outer.signal('read', 'a'), outer.signal('write', 'b'), outer.signal('yell', 'c'), outer.signal('shout', 'd')];
    world.run();
    // write: blocked by the outer; shout: allowed by the outer but not by the inner.
    expect(await Promise.all(replies)).toEqual(['ok', Empty, 'ok', Empty]);
    expect(received).toEqual(['read a', 'shout c']);
  });

  test('a copy stays a copy: an outer take over an inner peek cannot answer', async () => {
    const world = new World();
    const target = world.child();
    world.on('ask', () => 'parent');
    const outer = target.vassal([peek('#ask')]).vassal([take('#ask')]);
    const seen: boolean[] = [];
    outer.on('ask', (s) => {
      seen.push(s.peeked);
      return 'outer';
    });
    const reply = target.signal('ask');
    world.run();
    expect(await reply).toBe('parent');
    expect(seen).toEqual([true]);
  });

  test('a Vassal only wraps realms and vassals', () => {
    expect(() => new Vassal({} as never, [])).toThrow(/use attenuate\(\) for plain objects/);
  });
});

// ---- property test: composition only narrows -------------------------------------

/** Small deterministic PRNG for generated cases (no Math.random in tests). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS = ['a', 'b', 'c', 'd'];
const ARGS = [1, 2];

function randomRules(rand: () => number, kind: '#' | '$' | '.'): Rule[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const n = 1 + Math.floor(rand() * 5);
  const rules: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const head = rand() < 0.15 ? kind : `${kind}${pick(TOPICS)}`;
    const pattern = rand() < 0.3 && head.length > 1 ? [head, pick(ARGS)] : [head, Rest];
    const action = pick(['take', 'peek', 'block', 'transform'] as const);
    const to = pick(TOPICS);
    const drops = rand() < 0.1; // decided now, so each rule is a pure function
    const rewrite = (m: Tuple) => (drops ? Empty : tuple(`${kind}${to}`, ...m.args));
    if (action === 'take') rules.push(take(pattern));
    else if (action === 'block') rules.push(block(pattern));
    else if (action === 'peek') rules.push(peek(pattern, rand() < 0.5 ? rewrite : undefined));
    else rules.push(transform(pattern, rewrite));
  }
  return rules;
}

const key = (t: Tuple) => `${t.kind}${t.topic}(${t.args.join(',')})`;

describe('authority only narrows (property)', () => {
  test('random rule sets: composition never lets through what either layer blocks', () => {
    const universe: Tuple[] = TOPICS.flatMap((topic) => ARGS.map((x) => ({ kind: '#', topic, args: [x] }) as Tuple));
    for (let seed = 1; seed <= 300; seed++) {
      const inner = randomRules(prng(seed * 7), '#');
      const outer = randomRules(prng(seed * 13), '#');
      // What the inner layer alone can ever deliver, from any input.
      const innerImage = new Set(universe.flatMap((t) => applyRules(inner, t).map((o) => key(o.tuple))));
      const world = new World();
      const target = world.child();
      const delivered: string[] = [];
      world.trap(
        (t) => [{ tuple: t, mode: 'take' }],
        (s) => {
          delivered.push(`#${s.topic}(${s.args.join(',')})`);
          return 'ok';
        },
      );
      const composed = target.vassal(inner).vassal(outer);
      for (const t of universe) {
        const before = delivered.length;
        composed.post(t.topic, t.args);
        world.run();
        const got = delivered.slice(before);
        // 1. Nothing passes that the outer layer drops.
        if (applyRules(outer, t).length === 0) expect(got).toEqual([]);
        // 2. Everything delivered is something the inner layer can deliver.
        for (const d of got) expect(innerImage.has(d)).toBe(true);
        // 3. Exactly outer-then-inner, nothing more; each distinct tuple once.
        const expected = [...new Set(distinct(applyRules(outer, t)).flatMap((o) => distinct(applyRules(inner, o.tuple)).map((i) => key(i.tuple))))];
        expect([...got].sort()).toEqual([...expected].sort());
      }
    }
  });

  test('random rule sets: a composed view takes only what both layers take', () => {
    const universe: Tuple[] = TOPICS.flatMap((topic) => ARGS.map((x) => ({ kind: '#', topic, args: [x] }) as Tuple));
    for (let seed = 1; seed <= 300; seed++) {
      const inner = randomRules(prng(seed * 3 + 1), '#');
      const outer = randomRules(prng(seed * 5 + 2), '#');
      for (const t of universe) {
        const world = new World();
        const target = world.child();
        const views: { topic: string; peeked: boolean }[] = [];
        target
          .vassal(inner)
          .vassal(outer)
          .trap(
            (x) => [{ tuple: x, mode: 'take' }],
            (s) => void views.push({ topic: s.topic, peeked: s.peeked }),
          );
        target.post(t.topic, t.args);
        world.run();
        const innerOut = applyRules(inner, t);
        if (innerOut.length === 0) expect(views).toEqual([]); // blocked beneath: the holder sees nothing
        const anyTake = innerOut.some((o) => o.mode === 'take' && applyRules(outer, o.tuple).some((x) => x.mode === 'take'));
        // Only a tuple both layers take can be answered by the holder; the rest are copies.
        expect(views.filter((v) => !v.peeked)).toHaveLength(anyTake ? 1 : 0);
      }
    }
  });

  test('random grants on objects: the composed proxy allows exactly the intersection', () => {
    const methods = ['read', 'write', 'open', 'connect', 'stat', 'unlink'];
    const target = Object.fromEntries(methods.map((name) => [name, () => name]));
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed);
      const grant = () => methods.filter(() => rand() < 0.5);
      const a = grant();
      const b = grant();
      const rulesOf = (allowed: string[]): Rule[] =>
        methods.map((m) => (allowed.includes(m) ? take(`.${m}`) : block(`.${m}`)));
      const composed = attenuate(attenuate(target, rulesOf(a), { name: 'inner' }), rulesOf(b), { name: 'outer' });
      for (const m of methods) {
        const call = () => (composed as Record<string, () => string>)[m]();
        if (a.includes(m) && b.includes(m)) expect(call()).toBe(m);
        else expect(call).toThrow(CapabilityError);
      }
    }
  });
});

// ---- attenuating plain objects (capabilities) --------------------------------------

class FakeIo {
  opened: string[] = [];
  readFile(path: string): string {
    return `contents of ${path}`;
  }
  stat(path: string): { path: string; size: number } {
    return { path, size: 3 };
  }
  connect(host: string): string {
    this.opened.push(host);
    return `socket to ${host}`;
  }
  get cwd(): string {
    return '/home';
  }
}

describe('attenuate: a vassal of any object with named capabilities', () => {
  test('may read files, may not open sockets: refused with an error naming the capability', () => {
    const io = new FakeIo();
    const sandboxed = attenuate(io, [take('.readFile'), take('.stat')], { name: 'plugin io' });
    expect(sandboxed.readFile('/a')).toBe('contents of /a');
    expect(sandboxed.stat('/a').size).toBe(3);
    expect(() => sandboxed.connect('evil.example')).toThrow(CapabilityError);
    expect(() => sandboxed.connect('evil.example')).toThrow("plugin io: capability 'connect' is not granted");
    expect(io.opened).toEqual([]);
    expect(() => sandboxed.cwd).toThrow(/capability 'cwd'/);
    expect((sandboxed as unknown as Record<string, unknown>).nonexistent).toBeUndefined();
  });

  test('writes through the proxy are refused', () => {
    const sandboxed = attenuate(new FakeIo(), [take('.')]);
    expect(() => {
      (sandboxed as unknown as Record<string, unknown>).readFile = () => 'hijacked';
    }).toThrow(/capability 'set readFile'/);
  });

  test('transform rewrites a call (confine paths); Empty refuses it', () => {
    const io = new FakeIo();
    const confined = attenuate(io, [
      transform(['.readFile', _], (m) => {
        const path = String(m.args[0]);
        return path.startsWith('/sandbox/') ? m : Empty;
      }),
    ]);
    expect(confined.readFile('/sandbox/x')).toBe('contents of /sandbox/x');
    expect(() => confined.readFile('/etc/passwd')).toThrow(/capability 'readFile'/);
  });

  test('peek reports a call without granting it; take performs it', () => {
    const calls: string[] = [];
    const io = new FakeIo();
    const audited = attenuate(io, [peek('.'), take('.readFile')], { onPeek: (c) => calls.push(`${c.topic}(${c.args.join(',')})`) });
    expect(audited.readFile('/x')).toBe('contents of /x');
    expect(() => audited.connect('h')).toThrow(CapabilityError);
    expect(calls).toEqual(['readFile(/x)', 'connect(h)']);
    expect(io.opened).toEqual([]);
  });
});
