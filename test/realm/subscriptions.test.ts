import { describe, expect, test } from 'vitest';
import { Empty, Rest, World, _, bind, compilePattern, type Match } from '../../realm/index.js';

const show = (m: Match) => `${m.kind}${m.topic}(${m.args.map((a) => JSON.stringify(a)).join(',')})`;

describe('subscriptions', () => {
  test('N distinct matches run N handler instances; retracting one stops only that one', () => {
    const world = new World();
    const room = world.child({ name: 'room' });
    const live = new Set<string>();
    const cleanups: string[] = [];
    room.subscribe(['$present', bind('who')], (m) => {
      const who = String(m.bindings.who);
      live.add(who);
      return () => {
        live.delete(who);
        cleanups.push(who);
      };
    });
    const names = ['ann', 'bob', 'cy', 'dee', 'eve'];
    const handles = new Map(names.map((n) => [n, room.proclaim('present', n)]));
    world.run();
    expect([...live].sort()).toEqual(names);
    expect(world.stats().subscriptionInstances).toBe(5);
    handles.get('cy')!.retract();
    world.run();
    expect([...live].sort()).toEqual(['ann', 'bob', 'dee', 'eve']);
    expect(cleanups).toEqual(['cy']);
    expect(world.stats().subscriptionInstances).toBe(4);
  });

  test('a late subscriber sees the existing matches (replay), then later ones', () => {
    const world = new World();
    world.proclaim('job', 1);
    world.proclaim('job', 2);
    world.proclaim('other', 3);
    world.run();
    const seen: string[] = [];
    world.subscribe(['$job', _], (m) => void seen.push(show(m)));
    world.run();
    expect(seen).toEqual(['$job(1)', '$job(2)']);
    world.proclaim('job', 3);
    world.run();
    expect(seen).toEqual(['$job(1)', '$job(2)', '$job(3)']);
  });

  test('bound values filter: literals select, bind captures, a repeated name must agree', () => {
    const world = new World();
    const seen: Record<string, string[]> = { literal: [], selfLoop: [], rest: [], headOnly: [], nested: [] };
    world.subscribe(['$edge', 'a', _], (m) => void seen.literal.push(show(m)));
    world.subscribe(['$edge', bind('x'), bind('x')], (m) => void seen.selfLoop.push(String(m.bindings.x)));
    world.subscribe(['$log', 'error', Rest], (m) => void seen.rest.push(show(m)));
    world.subscribe('$edge', (m) => void seen.headOnly.push(show(m)));
    world.subscribe(['$conn', { port: bind('port'), state: 'open' }], (m) => void seen.nested.push(String(m.bindings.port)));
    world.proclaim('edge', 'a', 'b');
    world.proclaim('edge', 'b', 'b');
    world.proclaim('edge', 'a', 'a');
    world.proclaim('edge', 'a', 'b', 'c');
    world.proclaim('log', 'error');
    world.proclaim('log', 'error', 'disk', 'full');
    world.proclaim('log', 'info', 'ok');
    world.proclaim('conn', { port: 7, state: 'open' });
    world.proclaim('conn', { port: 8, state: 'closed' });
    world.run();
    expect(seen.literal).toEqual(['$edge("a","b")', '$edge("a","a")']);
    expect(seen.selfLoop).toEqual(['b', 'a']);
    expect(seen.rest).toEqual(['$log("error")', '$log("error","disk","full")']);
    expect(seen.headOnly).toHaveLength(4);
    expect(seen.nested).toEqual(['7']);
  });

  test('an empty pattern monitors everything: every proclamation and every signal passing through', () => {
    const world = new World();
    const realm = world.child({ name: 'r' });
    const below = realm.child();
    const events: string[] = [];
    realm.monitor((m) => {
      events.push('+' + show(m));
      return () => events.push('-' + show(m));
    });
    realm.proclaim('a', 1);
    realm.proclaim('b');
    world.on('ask', () => 'ok');
    below.post('ask', [42]); // bubbles through realm
    world.proclaim('elsewhere'); // not in this realm
    world.run();
    realm.proclaim('a', Empty);
    world.run();
    // A signal's instance ends when it is answered.
    expect(events).toEqual(['+$a(1)', '+$b()', '+#ask(42)', '-#ask(42)', '-$a(1)']);
  });

  test('a subscription to signals observes without trapping', async () => {
    const world = new World();
    const mid = world.child();
    const seen: string[] = [];
    mid.subscribe(['#ask'], (m) => void seen.push(show(m)));
    world.on('ask', (s) => `answered ${String(s.args[0])}`);
    const reply = mid.child().signal('ask', 'q');
    world.run();
    expect(await reply).toBe('answered q');
    expect(seen).toEqual(['#ask("q")']);
  });

  test('cancelling a subscription runs the cleanups of live instances and skips ones not yet run', () => {
    const world = new World();
    const log: string[] = [];
    const sub = world.subscribe(['$x', _], (m) => {
      log.push('+' + String(m.args[0]));
      return () => log.push('-' + String(m.args[0]));
    });
    world.proclaim('x', 1);
    world.run();
    world.proclaim('x', 2); // its body is scheduled but has not run
    sub.cancel();
    world.run();
    expect(log).toEqual(['+1', '-1']);
    world.proclaim('x', 3);
    world.run();
    expect(log).toEqual(['+1', '-1']);
    expect(world.stats().subscriptions).toBe(0);
  });

  test('stopping the subscriber ends its instances; stopping the observed realm retracts first', () => {
    const world = new World();
    const observed = world.child();
    const observer = world.child();
    const log: string[] = [];
    observer.act(() =>
      observed.subscribe(['$k', _], (m) => {
        log.push('+' + String(m.args[0]));
        return () => log.push('-' + String(m.args[0]));
      }),
    );
    observed.proclaim('k', 1);
    world.run();
    observer.stop();
    world.run();
    observed.proclaim('k', 2);
    world.run();
    expect(log).toEqual(['+1', '-1']);
    expect(world.stats().subscriptions).toBe(0);
  });

  test('a signal observer cancelled before its body runs never runs', async () => {
    const world = new World();
    const mid = world.child();
    const seen: string[] = [];
    const sub = mid.subscribe(['#ask'], (m) => void seen.push(show(m)));
    // The trap runs while the signal is delivered, before the observer's body.
    world.on('ask', () => {
      sub.cancel();
      return 'ok';
    });
    const reply = mid.child().signal('ask');
    world.run();
    expect(await reply).toBe('ok');
    expect(seen).toEqual([]);
  });

  test('a stopped realm cleaning up cannot leave new proclamations behind', () => {
    const world = new World();
    const observer = world.child({ name: 'observer' });
    observer.act(() =>
      world.subscribe(['$x'], () => () => {
        world.proclaim('goodbye'); // owned by the stopping observer: dropped
        world.set('cleaned', true); // plain fields still work
      }),
    );
    world.proclaim('x');
    world.run();
    const before = world.stats();
    observer.stop();
    world.run();
    expect(world.get('cleaned')).toBe(true);
    expect(world.count('goodbye')).toBe(0);
    expect(world.stats().proclamationHandles).toBe(before.proclamationHandles);
  });

  test('whatever the scheduling order, each instance runs its body before its cleanup, each once', () => {
    for (let seed = 1; seed <= 25; seed++) {
      const world = new World({ seed });
      const log: string[] = [];
      for (let s = 0; s < 3; s++) {
        world.subscribe(['$t', _], (m) => {
          log.push(`+${s}:${String(m.args[0])}`);
          return () => log.push(`-${s}:${String(m.args[0])}`);
        });
      }
      // Assert and retract without running in between: the retraction's
      // cleanups race the bodies in the shuffled queue.
      const hs = [1, 2, 3, 4].map((i) => world.proclaim('t', i));
      world.run();
      hs[0].retract();
      hs[1].retract();
      const late = world.proclaim('t', 9);
      late.retract();
      world.run();
      for (let s = 0; s < 3; s++) {
        for (const i of [1, 2, 9]) {
          const plus = log.indexOf(`+${s}:${i}`);
          const minus = log.indexOf(`-${s}:${i}`);
          expect(plus).toBeGreaterThanOrEqual(0);
          expect(minus).toBeGreaterThan(plus);
          expect(log.filter((e) => e === `-${s}:${i}`)).toHaveLength(1);
        }
        for (const i of [3, 4]) expect(log).not.toContain(`-${s}:${i}`);
      }
      expect(world.stats().subscriptionInstances).toBe(3 * 2);
    }
  });

  test('malformed patterns are refused with the reason', () => {
    expect(() => compilePattern(['present'])).toThrow(/must start with '#', '\$' or '.'/);
    expect(() => compilePattern(['$x', Rest, 1])).toThrow(/Rest may only be the last/);
    expect(() => compilePattern([1 as unknown as string])).toThrow(/head must be a string/);
    const world = new World();
    expect(() => world.subscribe(['.read'], () => {})).toThrow(/not realm events/);
  });
});
