import { describe, expect, test } from 'vitest';
import { Empty, World, _, peek, take, type TurnFailure } from '../../realm/index.js';

describe('turns: all or nothing', () => {
  test('an exception mid-turn leaves no partial effects', async () => {
    const failures: TurnFailure[] = [];
    const world = new World({ trace: true, onError: (f) => failures.push(f) });
    const service = world.child({ name: 'service' });
    const board = world.child({ name: 'board' });
    const notified: unknown[] = [];
    world.on('notify', (s) => {
      notified.push(s.args[0]);
      return 'ok';
    });
    const added: string[] = [];
    board.subscribe(['$'], (m) => void added.push(m.topic));
    service.set('state', 'idle');
    service.on('work', (s) => {
      service.proclaim('progress', 50);
      board.proclaim('claimed', s.args[0]);
      service.set('state', 'busy');
      service.post('notify', ['started']);
      const helper = service.child({ name: 'helper' });
      helper.proclaim('alive');
      service.subscribe(['$progress', _], () => {});
      s.reply('done');
      throw new Error('disk full');
    });
    world.run();
    const before = world.stats();
    const sender = service.child({ name: 'sender' });
    const reply = sender.signal('work', 'job-1');
    world.run();

    expect(await reply).toBe(Empty); // the reply was rolled back with the rest
    expect(service.count('progress', 50)).toBe(0);
    expect(board.count('claimed', 'job-1')).toBe(0);
    expect(added).toEqual([]);
    expect(notified).toEqual([]);
    expect(service.get('state')).toBe('idle');
    expect(service.children).toEqual([sender]); // the helper realm was never created
    expect(world.stats()).toEqual({ ...before, realms: before.realms + 1 }); // + the sender realm
    expect(failures).toHaveLength(1);
    expect(String(failures[0].error)).toMatch(/disk full/);
    expect(failures[0].realm).toBe('r1:service');
    const rolledBack = world.trace!.records.filter((r) => r.outcome === 'rolled back');
    expect(rolledBack).toHaveLength(1);
    expect(rolledBack[0].turn).toBe(failures[0].turn);
    expect(rolledBack[0].effects).toEqual([
      'assert $progress(50) in r1:service',
      'assert $claimed("job-1") in r2:board',
      'post #notify("started") s2',
      'assert $alive() in r4:helper',
      'subscribe [$progress, _] on r1:service',
      'reply s1 = "done"',
    ]);
  });

  test('a failing subscription body is rolled back and gets no cleanup', () => {
    const failures: TurnFailure[] = [];
    const world = new World({ onError: (f) => failures.push(f) });
    const cleanups: number[] = [];
    world.subscribe(['$job', _], (m) => {
      world.proclaim('started', m.args[0]);
      if (m.args[0] === 2) throw new Error('bad job');
      return () => cleanups.push(m.args[0] as number);
    });
    const hs = [1, 2, 3].map((i) => world.proclaim('job', i));
    world.run();
    expect(world.proclamations(['$started', _]).map((m) => m.args[0])).toEqual([1, 3]);
    for (const h of hs) h.retract();
    world.run();
    expect(cleanups).toEqual([1, 3]);
    expect(failures.map((f) => f.kind)).toEqual(['added']);
  });

  test('without an onError hook the failure propagates out of the scheduler, after rollback', async () => {
    const world = new World();
    world.on('q', () => {
      world.proclaim('half-done');
      throw new Error('loud');
    });
    const reply = world.child().signal('q');
    expect(() => world.run()).toThrow('loud');
    world.run();
    expect(await reply).toBe(Empty);
    expect(world.count('half-done')).toBe(0);
    expect(world.stats().pendingSignals).toBe(0);
  });

  test('act groups several operations into one turn; a throw rolls all back and rethrows', () => {
    const world = new World();
    const r = world.child();
    const seen: string[] = [];
    r.subscribe(['$'], (m) => void seen.push(m.topic));
    world.run();
    expect(() =>
      r.act(() => {
        r.proclaim('a');
        r.set('f', 1);
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    world.run();
    expect(seen).toEqual([]);
    expect(r.get('f')).toBe(Empty);
    const result = r.act(() => {
      r.proclaim('a');
      r.proclaim('b');
      // Inside the turn proclamations are not yet visible (they apply at commit)...
      expect(r.count('a')).toBe(0);
      // ...but field writes are (and are undone on rollback).
      r.set('f', 2);
      expect(r.get('f')).toBe(2);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(r.count('a')).toBe(1);
    world.run();
    expect(seen).toEqual(['a', 'b']);
  });

  test('act inside a handler joins its turn and acts on behalf of the given realm', () => {
    const failures: TurnFailure[] = [];
    const world = new World({ onError: (f) => failures.push(f) });
    const owner = world.child({ name: 'owner' });
    world.on('go', () => {
      owner.act(() => world.proclaim('by-owner'));
      throw new Error('abort the whole turn');
    });
    world.on('go2', () => {
      owner.act(() => world.proclaim('by-owner'));
      return 'ok';
    });
    world.child().post('go');
    world.run();
    expect(world.count('by-owner')).toBe(0);
    world.child().post('go2');
    world.run();
    expect(world.count('by-owner')).toBe(1);
    owner.stop(); // the proclamation is owned by `owner`, not by the World
    expect(world.count('by-owner')).toBe(0);
    expect(failures).toHaveLength(1);
  });
});

describe('turns: ids, causes and traces', () => {
  test('every turn has an id and names the turn that caused it', () => {
    const world = new World({ trace: true });
    const client = world.child({ name: 'client' });
    world.on('get', () => 'value');
    client.subscribe(['$ready'], () => {
      client.post('get', [], (v) => {
        client.proclaim('got', v);
      });
    });
    world.run();
    world.trace!.clear();
    client.proclaim('ready');
    world.run();
    const recs = world.trace!.records;
    expect(recs.map((r) => [r.kind, r.realm, r.label])).toEqual([
      ['external', 'r1:client', ''],
      ['added', 'r1:client', '$ready() for [$ready]'],
      ['signal', 'r0:world', '#get() s1 at r0:world'],
      ['resume', 'r1:client', 's1 = "value"'],
    ]);
    // Each caused turn points at the turn whose commit scheduled it.
    expect(recs[0].cause).toBeNull();
    expect(recs[1].cause).toBe(recs[0].turn);
    expect(recs[2].cause).toBe(recs[1].turn);
    expect(recs[3].cause).toBe(recs[2].turn);
    const ids = recs.map((r) => r.turn);
    expect(new Set(ids).size).toBe(ids.length);
    expect(recs[3].effects).toEqual(['assert $got("value") in r1:client (count 1)']);
    expect(client.count('got', 'value')).toBe(1);
  });

  test('the same inputs give byte-identical traces', () => {
    const scenario = (seed?: number): string => {
      const world = new World({ trace: true, seed, onError: () => {} });
      const a = world.child({ name: 'a' });
      const b = a.child({ name: 'b' });
      const c = world.detached({ name: 'c' });
      a.on('ask', (s) => (s.args[0] === 3 ? s.pass() : s.reply({ n: s.args[0], from: s.from })));
      world.on('ask', () => 'world');
      a.subscribe(['$item', _], (m) => {
        a.proclaim('seen', m.args[0]);
        if (m.args[0] === 4) throw new Error('no fours');
        return () => a.proclaim('seen', Empty);
      });
      const v = a.vassal([peek('#ask'), take('$item')]);
      v.on('ask', () => 'peeked');
      for (let i = 1; i <= 5; i++) {
        b.post('ask', [i], (x) => b.proclaim('answer', i, x));
        c.post('ask', [i]);
        a.proclaim('item', i);
      }
      world.run();
      b.stop();
      a.proclaim('item', Empty);
      world.run();
      return world.trace!.text();
    };
    const first = scenario();
    expect(first.length).toBeGreaterThan(1000);
    expect(scenario()).toBe(first);
    expect(scenario(42)).toBe(scenario(42));
    // Shuffled schedules are reproducible per seed, and do reorder.
    const shuffled = [1, 2, 3].map((s) => scenario(s));
    expect(shuffled.some((t) => t !== first)).toBe(true);
    // No timestamps or random ids: every number in a record comes from a counter.
    for (const line of first.split('\n')) {
      const rec = JSON.parse(line) as { turn: number; cause: number | null };
      expect(rec.turn).toBeGreaterThan(0);
      if (rec.cause !== null) expect(rec.cause).toBeLessThan(rec.turn);
    }
  });
});

