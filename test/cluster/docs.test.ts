// Every ```ts example in docs/cluster.md that is followed by a ```text block
// runs here, against a private nats-server, and must print exactly that text.
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as clusterPorts from '../../api/cluster-ports.js';
import * as apiIO from '../../api/io.js';
import * as membership from '../../cluster/membership.js';
import * as networkedRealm from '../../cluster/networked-realm.js';
import * as io from '../../engine/io.js';
import * as process_ from '../../engine/process.js';
import * as map from '../../processes/elements/map.js';
import * as collect from '../../processes/sinks/collect.js';
import * as from from '../../processes/sources/from.js';
import * as realm from '../../realm/index.js';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

/** The modules the examples may import, by the path they use (relative to docs/). */
const modules: Record<string, unknown> = {
  '../api/cluster-ports.js': clusterPorts,
  '../api/io.js': apiIO,
  '../cluster/membership.js': membership,
  '../cluster/networked-realm.js': networkedRealm,
  '../engine/io.js': io,
  '../engine/process.js': process_,
  '../processes/elements/map.js': map,
  '../processes/sinks/collect.js': collect,
  '../processes/sources/from.js': from,
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
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    }, 30_000);
  }
});
