// Regression: a server kept its connections in a Set that lived as long as the
// server. V8 links each table a Set replaces (rehashing after deletions) to the
// next one, and the replaced table keeps its entries, so once one of the Set's
// tables was in the old generation, every connection the Set had held, over
// or not, survived each young-generation collection and was promoted: about
// half of what a short connection allocated. A server's set of connections
// (`ConnectionSet`, `TcpServer.sockets`) now clears a member's slot when it is
// deleted, and nothing refers to a connection that is over.
//
// Measured as the old generation's growth over young collections alone,
// while members (each with a payload) come and go as connections do.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ConnectionSet } from '../../net/connection-set.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;

const oldSpaceUsed = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;

interface Member {
  state: Record<string, unknown>;
  payload: number[];
}

/** Old-generation bytes gained while `count` members pass through `set`, 64 at a time, with young collections only. */
function churn(set: { add(m: Member): unknown; delete(m: Member): unknown }, count: number): number {
  // The set's own storage reaches the old generation first, as a long-lived server's does.
  let live: Member[] = [];
  for (let i = 0; i < 256; i++) set.add((live[i] = { state: { slot: -1 }, payload: [] }));
  gc();
  gc();
  const before = oldSpaceUsed();
  for (let i = 0; i < count; i += 64) {
    for (const m of live) set.delete(m);
    live = [];
    for (let j = 0; j < 64; j++) {
      const m: Member = { state: { slot: -1 }, payload: new Array<number>(128).fill(i + j) };
      set.add(m);
      live.push(m);
    }
    if ((i / 64) % 16 === 15) gc({ type: 'minor' });
  }
  return oldSpaceUsed() - before;
}

describe("a server's set of connections", () => {
  it('lets connections that are over die young', () => {
    // 40,000 members of about 1.1 KB each pass through: about 44 MB in all.
    const grown = churn(new ConnectionSet<Member>(), 40_000);
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });

  it('holds, iterates and forgets its members as a Set does', () => {
    const set = new ConnectionSet<Member>();
    const [a, b, c] = [1, 2, 3].map(() => ({ state: { slot: -1 }, payload: [] }));
    set.add(a).add(b).add(c).add(b);
    expect(set.size).toBe(3);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect(set.has(b)).toBe(false);
    expect([...set]).toEqual([a, c]);
    // Deleting while iterating, as a server closing its connections does.
    for (const m of set) set.delete(m);
    expect(set.size).toBe(0);
    set.add(b);
    expect([...set.values()]).toEqual([b]);
  });
});
