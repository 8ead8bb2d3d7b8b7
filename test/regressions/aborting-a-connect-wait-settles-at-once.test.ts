// Regression: aborting a connect that waits did nothing while the port it
// waited for was still connected; the promise stayed pending (and the waiter
// counted) until that connection happened to end.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { counts } from '../../engine/ports.js';
import '../../processes/index.js';
import { Port } from '../../net/endpoints.js';

describe('aborting a connect that waits', () => {
  for (const side of ['its own port', 'the port it connects to'] as const) {
    it(`rejects at once with the signal reason while ${side} is still connected`, async () => {
      const io = new IO();
      const busy = Port.create(io);
      const holder = Port.create(io);
      const idle = Port.create(io);
      busy.connect(holder);
      const controller = new AbortController();
      const waiting = side === 'its own port'
        ? busy.connect(idle, { wait: true, signal: controller.signal })
        : idle.connect(busy, { wait: true, signal: controller.signal });
      expect(counts(io).waiters).toBe(1);
      controller.abort(new Error('gave up'));
      await expect(waiting).rejects.toThrow('gave up');
      expect(counts(io).waiters).toBe(0);
      expect(idle.isConnected).toBe(false);
      // The connection it waited behind is untouched.
      expect(busy.peer()?.process).toBe(holder.process);
      busy.disconnect();
      expect(busy.state).toBe('free');
      expect(idle.state).toBe('free');
    });
  }
});
