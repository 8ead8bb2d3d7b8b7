// Regression: a vassal with a peek rule and a take rule that both match (a
// rule pair that logs what it lets through) delivered the tuple twice: one
// `proclaim` asserted twice, one signal reached its handler twice, and a
// subscription body ran twice for one proclamation. Each distinct tuple now
// crosses a vassal once; the taken one wins, since it carries the authority.
import { describe, expect, test } from 'vitest';
import { World, _, peek, take } from '../../realm/index.js';

describe('a peek + take pair on the same tuple delivers it once', () => {
  test('one proclaim asserts once', () => {
    const world = new World();
    const app = world.child();
    const view = app.vassal([peek('$status'), take('$status')]);
    const h = view.proclaim('status', 'up');
    world.run();
    expect(app.count('status', 'up')).toBe(1);
    h.retract();
    world.run();
    expect(app.count('status', 'up')).toBe(0);
  });

  test('one signal is handled once, and answered', async () => {
    const world = new World();
    const app = world.child();
    let handled = 0;
    world.on('ask', () => {
      handled++;
      return 'answer';
    });
    const view = app.vassal([peek('#ask'), take('#ask')]);
    const reply = view.signal('ask');
    world.run();
    expect(await reply).toBe('answer');
    expect(handled).toBe(1);
  });

  test('a subscription through the vassal sees one proclamation once', () => {
    const world = new World();
    const app = world.child();
    const view = app.vassal([peek('$status'), take('$status')]);
    const seen: unknown[] = [];
    view.subscribe(['$status', _], (m) => void seen.push(m.args[0]));
    app.proclaim('status', 'up');
    world.run();
    expect(seen).toEqual(['up']);
  });

  test('a handler behind the vassal gets the signal once, with authority', () => {
    const world = new World();
    const app = world.child();
    const view = app.vassal([peek('#ask'), take('#ask')]);
    const seen: boolean[] = [];
    view.on('ask', (s) => {
      seen.push(s.peeked);
      return 'mine';
    });
    const reply = app.signal('ask');
    world.run();
    return reply.then((v) => {
      expect(v).toBe('mine');
      expect(seen).toEqual([false]);
    });
  });
});
