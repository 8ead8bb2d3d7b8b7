// Every ```ts example in docs/cluster.md that is followed by a ```text block
// runs here, against a private nats-server, and must print exactly that text.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import * as membership from '../../cluster/membership.js';
import * as networkedRealm from '../../cluster/networked-realm.js';
import * as realm from '../../realm/index.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

/** The modules the examples may import, by the path they use (relative to docs/). */
const modules: Record<string, unknown> = {
  '../cluster/membership.js': membership,
  '../cluster/networked-realm.js': networkedRealm,
  '../realm/index.js': realm,
};

const examples = docExamples(new URL('../../docs/cluster.md', import.meta.url));

describeNats('docs/cluster.md', () => {
  let server: PrivateServer;
  const before = process.env.PUSHBACK_CLUSTER;
  beforeAll(async () => {
    server = await startServer();
    // The examples connect to PUSHBACK_CLUSTER: here, the private server.
    process.env.PUSHBACK_CLUSTER = server.url;
  });
  afterAll(async () => {
    if (before === undefined) delete process.env.PUSHBACK_CLUSTER;
    else process.env.PUSHBACK_CLUSTER = before;
    await server?.stop();
  });

  test('has examples with outputs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    }, 30_000);
  }
});
