// A bound realm hands what its traps do not take to its boundary, and tells it
// about its handlers and the proclamations pinned to it (realm/boundary.ts).
import { describe, expect, it } from 'vitest';
import { handlerTopics, pinnedProclamations, setBoundary, type BoundarySignal, type RealmBoundary } from '../../realm/boundary.js';
import { Empty, World } from '../../realm/index.js';

function recorder(answer: (s: BoundarySignal) => PromiseLike<unknown>) {
  const forwarded: string[] = [];
  const handlers: string[] = [];
  const proclamations: string[] = [];
  const boundary: RealmBoundary = {
    forward: (s) => {
      forwarded.push(`${s.topic}(${s.args.join(',')}) from ${s.origin.name}`);
      return answer(s);
    },
    handlersChanged: (topic, count) => void handlers.push(`${topic}=${count}`),
    proclamationChanged: (p, _handle, live) => void proclamations.push(`${live ? '+' : '-'}${p.topic}(${p.args.join(',')}) by ${p.owner.name}`),
  };
  return { boundary, forwarded, handlers, proclamations };
}

describe('realm boundary', () => {
  it('a signal not taken in the bound realm is answered by the boundary, and does not bubble above it', async () => {
    const world = new World();
    world.on('price', () => 'from the world'); // above the boundary: never reached from inside
    const shop = world.child({ name: 'shop' });
    const worker = shop.child({ name: 'worker' });
    const r = recorder(async (s) => (s.topic === 'price' ? `remote price of ${String(s.args[0])}` : Empty));
    setBoundary(shop, r.boundary);

    const remote = worker.signal('price', 'tea');
    const nobody = worker.signal('nothing');
    const outside = world.child().signal('price', 'tea');
    world.run();
    expect(await remote).toBe('remote price of tea');
    expect(await nobody).toBe(Empty);
    expect(await outside).toBe('from the world');
    expect(r.forwarded).toEqual(['price(tea) from worker', 'nothing() from worker']);

    // A handler in the bound realm takes it first.
    shop.on('price', () => 'local');
    const local = worker.signal('price', 'tea');
    world.run();
    expect(await local).toBe('local');
    expect(r.forwarded.length).toBe(2);
    expect(world.stats().pendingSignals).toBe(0);
  });

  it('a boundary that throws or rejects is reported and the sender resumes with Empty', async () => {
    const failures: string[] = [];
    const world = new World({ onError: (f) => void failures.push((f.error as Error).message) });
    const shop = world.child({ name: 'shop' });
    let calls = 0;
    setBoundary(shop, {
      forward: () => {
        if (calls++ === 0) throw new Error('broken boundary');
        return Promise.reject(new Error('rejected'));
      },
    });
    const a = shop.signal('x');
    const b = shop.signal('y');
    world.run();
    expect(await a).toBe(Empty);
    expect(await b).toBe(Empty);
    expect(failures).toEqual(['broken boundary', 'rejected']);
    expect(world.stats().pendingSignals).toBe(0);
  });

  it('a sender that stops while its signal is across the boundary resumes with Empty; the late answer is dropped', async () => {
    const world = new World();
    const shop = world.child({ name: 'shop' });
    let answer!: (value: unknown) => void;
    setBoundary(shop, { forward: () => new Promise((resolve) => (answer = resolve)) });
    const worker = shop.child({ name: 'worker' });
    const pending = worker.signal('slow');
    world.run();
    worker.stop();
    world.run();
    expect(await pending).toBe(Empty);
    answer('too late');
    await Promise.resolve();
    world.run();
    expect(world.stats().pendingSignals).toBe(0);
  });

  it('tells the boundary about handlers on the bound realm and proclamations pinned to it, with their owners', () => {
    const world = new World();
    const shop = world.child({ name: 'shop' });
    const before = shop.proclaim('open', 'early');
    shop.on('price', () => 1);
    world.run();
    const r = recorder(async () => Empty);
    expect([...handlerTopics(shop)]).toEqual([['price', 1]]);
    expect(pinnedProclamations(shop).map((p) => `${p.proclamation.topic} by ${p.proclamation.owner.name}`)).toEqual(['open by shop']);
    setBoundary(shop, r.boundary);
    expect(() => setBoundary(shop, r.boundary)).toThrow('is bound already');

    const second = shop.on('price', () => 2);
    const clerk = shop.child({ name: 'clerk' });
    clerk.act(() => shop.proclaim('staff', 'ann'));
    shop.child().on('price', () => 3); // not on the bound realm itself
    world.run();
    second.cancel();
    before.retract();
    clerk.stop();
    world.run();
    expect(r.handlers).toEqual(['price=2', 'price=1']);
    expect(r.proclamations).toEqual(['+staff(ann) by clerk', '-open(early) by shop', '-staff(ann) by clerk']);
  });
});
