// Hosts as separate OS processes: a signal handled in another process, and a
// host killed with -9 noticed as lost, after which its signals resume with Empty.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Empty } from '../../realm/empty.js';
import { joinCluster, type ClusterHost, type MembershipEvent } from '../../cluster/membership.js';
import { RemoteSignals } from '../../cluster/signals.js';
import { removeTranspiled, runChild, transpile, withImports } from './child.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const CHILD = 'test/cluster/host-process.ts';

describeNats('cluster hosts as separate processes', () => {
  let server: PrivateServer;
  let out: string;
  beforeAll(async () => {
    server = await startServer();
    out = transpile(withImports(CHILD));
  });
  afterAll(async () => {
    await server?.stop();
    if (out !== undefined) removeTranspiled(out);
  });

  it('a signal handled in another process; that process killed with -9 is lost and its signals resume with Empty', async () => {
    const lostAfterMs = 1_500;
    const child = runChild(out, CHILD, [server.url, 'hosts', String(lostAfterMs)]);
    let host: ClusterHost | undefined;
    try {
      const childIndex = Number((await child.line('ready ')).slice('ready '.length));
      host = await joinCluster({ servers: server.url, bucket: 'hosts', lostAfterMs, name: 'parent' });
      expect(host.index).not.toBe(childIndex);
      if (!host.peers().has(childIndex)) {
        await new Promise<void>((resolve) => {
          const off = host!.on((e) => e.type === 'joined' && e.host.index === childIndex && (off(), resolve()));
        });
      }
      expect(host.peers().get(childIndex)?.name).toBe('child');

      const signals = new RemoteSignals(host.connection, { timeoutMs: 2_000 });
      expect(await signals.signal('calc', 'add', 2, 3)).toBe(5);

      const lost = new Promise<MembershipEvent>((resolve) => {
        const off = host!.on((e) => e.type === 'lost' && (off(), resolve(e)));
      });
      await child.kill9();
      expect(await signals.signal('calc', 'add', 2, 3)).toBe(Empty);
      expect(await lost).toEqual({ type: 'lost', index: childIndex });
      expect(host.peers().has(childIndex)).toBe(false);
    } finally {
      await child.kill9();
      await host?.leave();
    }
  });
});
