// Regression: what a subscription body asserted outlived the match that ran
// it: when `$user(ann)` was retracted, the `$greeted(ann)` its body had
// proclaimed stayed for ever. Each match now has its own lifetime (a facet,
// as in the Syndicated Actor Model): what its body asserts, and the
// subscriptions it makes, end when the match goes away.
import { describe, expect, test } from 'vitest';
import { World, _, bind } from '../../realm/index.js';

describe('a match owns what its body asserts', () => {
  test('retracting the matched proclamation retracts what the body proclaimed', () => {
    const world = new World();
    const room = world.child({ name: 'room' });
    const greeter = world.child({ name: 'greeter' });
    greeter.act(() => {
      room.subscribe(['$user', bind('who')], (m) => {
        room.proclaim('greeted', m.bindings.who);
      });
    });
    const ann = room.proclaim('user', 'ann');
    room.proclaim('user', 'bob');
    world.run();
    expect(room.proclamations(['$greeted', _]).map((m) => m.args[0]).sort()).toEqual(['ann', 'bob']);
    ann.retract();
    world.run();
    expect(room.proclamations(['$greeted', _]).map((m) => m.args[0])).toEqual(['bob']);
  });

  test('cancelling the subscription ends every match, and what each asserted', () => {
    const world = new World();
    const sub = world.subscribe(['$job', _], (m) => {
      world.proclaim('working-on', m.args[0]);
      return () => undefined;
    });
    world.proclaim('job', 1);
    world.proclaim('job', 2);
    world.run();
    expect(world.count('working-on', 1) + world.count('working-on', 2)).toBe(2);
    sub.cancel();
    world.run();
    expect(world.proclamations(['$working-on', _])).toEqual([]);
  });

  test('a subscription made in a body ends with the match', () => {
    const world = new World();
    const seen: string[] = [];
    const session = world.proclaim('session', 's1');
    world.subscribe(['$session', bind('id')], (m) => {
      world.subscribe(['$message', _], (msg) => void seen.push(`${String(m.bindings.id)}: ${String(msg.args[0])}`));
    });
    world.run();
    world.proclaim('message', 'hello');
    world.run();
    session.retract();
    world.run();
    world.proclaim('message', 'after');
    world.run();
    expect(seen).toEqual(['s1: hello']);
    expect(world.stats().subscriptions).toBe(1);
  });

  test('a cleanup that throws does not keep the match’s assertions', () => {
    const world = new World({ onError: () => undefined });
    const job = world.proclaim('job', 1);
    world.subscribe(['$job', _], () => {
      world.proclaim('busy');
      return () => {
        throw new Error('cleanup failed');
      };
    });
    world.run();
    expect(world.count('busy')).toBe(1);
    job.retract();
    world.run();
    expect(world.count('busy')).toBe(0);
  });
});
