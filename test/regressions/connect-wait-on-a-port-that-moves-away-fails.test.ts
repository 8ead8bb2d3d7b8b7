// Regression: a connect waiting for a dedicated port whose connection moved on
// was fulfilled (the port looked free for a moment) and then disconnected in
// the same step, as the port went away. It must fail with a PortError.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { counts } from '../../engine/ports.js';
import { PortError } from '../../engine/process.js';
import '../../processes/index.js';
import { Port } from '../../net/endpoints.js';

describe('a connect waiting for a dedicated port that moves on', () => {
  it('fails with a PortError; nothing is connected to the port that went', async () => {
    const io = new IO();
    const listen = Port.listen(io);
    const client = Port.create(io);
    client.connect(listen);
    const dedicated = listen.move();
    const other = Port.create(io);
    const waiting = other.connect(dedicated, { wait: true });
    const next = Port.create(io);
    dedicated.moveTo(next);
    await expect(waiting).rejects.toBeInstanceOf(PortError);
    expect(other.isConnected).toBe(false);
    expect(dedicated.state).toBe('absent');
    expect(client.peer()?.process).toBe(next.process);
    expect(counts(io).waiters).toBe(0);
  });
});
