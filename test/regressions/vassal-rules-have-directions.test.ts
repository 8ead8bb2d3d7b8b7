// Regression: a vassal's rules applied both ways, so "may observe $status,
// may not assert it" could not be said: a rule that let the holder see the
// app's $status also let it assert one. Rules may now be given a direction:
// ingress (what comes in to the holder) or egress (what it sends out).
import { describe, expect, test } from 'vitest';
import { Empty, World, _, egress, ingress, peek, take } from '../../realm/index.js';

describe('ingress and egress rules', () => {
  test('may observe $status, may not assert or retract it', () => {
    const world = new World();
    const app = world.child({ name: 'app' });
    app.proclaim('status', 'up');
    const plugin = app.vassal([ingress(take('$status'))]);
    const seen: unknown[] = [];
    plugin.subscribe(['$status', _], (m) => void seen.push(m.args[0]));
    world.run();
    expect(seen).toEqual(['up']);

    const mine = plugin.proclaim('status', 'hijacked');
    plugin.proclaim('status', Empty);
    world.run();
    expect(mine.live).toBe(false);
    expect(app.proclamations(['$status', _]).map((m) => m.args[0])).toEqual(['up']);
  });

  test('may raise #log, may not see anyone else’s #log', async () => {
    const world = new World();
    const app = world.child({ name: 'app' });
    world.on('log', (s) => `logged ${String(s.args[0])}`);
    const plugin = app.vassal([egress(take('#log'))]);
    const heard: unknown[] = [];
    plugin.on('log', (s) => void heard.push(s.args[0]));
    const mine = plugin.signal('log', 'from the plugin');
    const theirs = app.signal('log', 'from the app');
    world.run();
    expect(await mine).toBe('logged from the plugin');
    expect(await theirs).toBe('logged from the app');
    expect(heard).toEqual([]);
  });

  test('directions mix in one list: peek what comes in, take what goes out', async () => {
    const world = new World();
    const app = world.child();
    world.on('ask', () => 'answered');
    const plugin = app.vassal([ingress(peek('#ask')), egress(take('#ask'))]);
    const peeked: boolean[] = [];
    plugin.on('ask', (s) => void peeked.push(s.peeked));
    const asked = plugin.signal('ask');
    const fromApp = app.signal('ask');
    world.run();
    expect([await asked, await fromApp]).toEqual(['answered', 'answered']);
    expect(peeked).toEqual([true, true]); // both seen coming in, as copies
    expect(plugin.filter({ kind: '#', topic: 'ask', args: [] }, 'egress').map((o) => o.mode)).toEqual(['take']);
    expect(plugin.filter({ kind: '#', topic: 'ask', args: [] }, 'ingress').map((o) => o.mode)).toEqual(['peek']);
  });

  test('a rule without a direction applies both ways', () => {
    const world = new World();
    const app = world.child();
    app.proclaim('status', 'up');
    const plugin = app.vassal([take('$status')]);
    const seen: unknown[] = [];
    plugin.subscribe(['$status', _], (m) => void seen.push(m.args[0]));
    plugin.proclaim('status', 'also');
    world.run();
    expect(seen.sort()).toEqual(['also', 'up']);
  });

  test('a rule cannot be made ingress-only and egress-only at once', () => {
    expect(() => ingress(egress(take('$x')))).toThrow(/is egress only; it cannot also be ingress only/);
  });
});
