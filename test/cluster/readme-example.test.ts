// The README's two-terminal example (examples/cluster-orders.ts): the reader
// and the writer as two processes against a private nats-server; the reader
// prints each record doubled, once and in order, then the end of the stream.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { bundle, removeBundles, runBundle } from './bundled-child.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

describeNats('the README example of a cross-host port', () => {
  let server: PrivateServer;
  let script: string;
  beforeAll(async () => {
    server = await startServer();
    script = bundle('examples/cluster-orders.ts');
  });
  afterAll(async () => {
    await server?.stop();
    removeBundles();
  });

  test('reader and writer in two processes: 2, 4, 6, then the end', async () => {
    process.env.PUSHBACK_CLUSTER = server.url;
    try {
      const reader = runBundle(script, ['read', 'readme-orders']);
      const writer = runBundle(script, ['write', 'readme-orders']);
      expect(await writer.exited).toBe(0);
      expect(await reader.exited).toBe(0);
      expect(writer.lines()).toEqual(['written']);
      expect(reader.lines()).toEqual(['2', '4', '6', 'end: end']);
    } finally {
      delete process.env.PUSHBACK_CLUSTER;
    }
  }, 60_000);

  test('is the code the README shows', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('node dist/examples/cluster-orders.js read');
    expect(readme).toContain('node dist/examples/cluster-orders.js write');
  });
});
