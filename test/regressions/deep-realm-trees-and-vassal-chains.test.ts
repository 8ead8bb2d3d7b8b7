// Regression: field lookup gave up after 1,000 prototypes and a longer chain
// that was not cyclic was refused as a cycle; stopping a 10,000-deep tree of
// realms and using a 10,000-deep chain of vassals overflowed the stack. The
// lookups and the cycle check now follow chains of any length, and stopping
// and vassal layers are walked in loops.
import { describe, expect, test } from 'vitest';
import { CapabilityError, World, _, attenuate, take } from '../../realm/index.js';
import type { Realm, Space } from '../../realm/index.js';

const DEPTH = 10_000;
// Deep structures take a while to build on a loaded machine: the limit is for hangs, not speed.
const SLOW = 60_000;

describe('deep chains are followed, not refused', () => {
  test('a field 2,000 prototypes up is found; setting a long non-cyclic prototype is allowed; a real cycle is refused', () => {
    const world = new World();
    world.set('answer', 42);
    let r: Realm = world;
    for (let i = 0; i < 2_000; i++) r = r.child();
    expect(r.get('answer')).toBe(42);
    const other = world.child();
    other.prototype = r; // 2,001 hops to the World, no cycle
    expect(other.get('answer')).toBe(42);
    expect(() => {
      world.prototype = r;
    }).toThrow(/would form a cycle/);
  }, SLOW);

  test(`stopping a ${DEPTH}-deep tree stops every realm, children first`, () => {
    const world = new World();
    const top = world.child({ name: 'top' });
    let r = top;
    const order: string[] = [];
    for (let i = 0; i < DEPTH; i++) r = r.child({ name: `r${i}` });
    world.subscribe(['$alive', _], (m) => () => void order.push(String(m.args[0])));
    r.act(() => world.proclaim('alive', 'deepest'));
    top.act(() => world.proclaim('alive', 'top'));
    world.run();
    top.stop();
    world.run();
    expect(world.stats().realms).toBe(1);
    expect(order).toEqual(['deepest', 'top']);
  }, SLOW);

  test(`a ${DEPTH}-deep chain of vassals signals, proclaims, subscribes and traps`, async () => {
    const world = new World();
    const app = world.child();
    world.on('ask', () => 'answered');
    let v: Space = app;
    for (let i = 0; i < DEPTH; i++) v = v.vassal([take('#ask'), take('$status')]);
    const seen: unknown[] = [];
    v.subscribe(['$status', _], (m) => void seen.push(m.args[0]));
    const reply = v.signal('ask');
    v.proclaim('status', 'up');
    world.run();
    expect(await reply).toBe('answered');
    expect(app.count('status', 'up')).toBe(1);
    expect(seen).toEqual(['up']);
  }, SLOW);

  test(`a ${DEPTH}-deep chain of attenuated views calls through, and refuses what one layer refuses`, () => {
    const target = { read: (path: string) => `contents of ${path}`, write: (path: string) => path };
    let view: typeof target = target;
    for (let i = 0; i < DEPTH; i++) view = attenuate(view, i === 5 ? [take('.read')] : [take('.read'), take('.write')], { name: `layer ${i}` });
    expect(view.read('/a')).toBe('contents of /a');
    expect(() => view.write('/a')).toThrow(CapabilityError);
    expect(() => view.write('/a')).toThrow("layer 5: capability 'write' is not granted");
  }, SLOW);
});
