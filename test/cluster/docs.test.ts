// The cross-host port example of docs/cluster.md prints what the guide says,
// run against a private nats-server (the guide's address is replaced by it).
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as clusterPorts from '../../api/cluster-ports.js';
import * as io from '../../engine/io.js';
import * as process from '../../engine/process.js';
import * as map from '../../processes/elements/map.js';
import * as collect from '../../processes/sinks/collect.js';
import * as from from '../../processes/sources/from.js';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

// The guide's earlier blocks have no output block (they need hosts of their own), so
// a match starts at one of them and runs into the example: keep its last block.
const examples = docExamples(new URL('../../docs/cluster.md', import.meta.url)).map((e, i) => ({
  ...e,
  name: `example ${i + 1}`,
  source: e.source.split('```ts\n').at(-1)!,
}));
const modules = {
  '../engine/io.js': io,
  '../engine/process.js': process,
  '../processes/elements/map.js': map,
  '../processes/sinks/collect.js': collect,
  '../processes/sources/from.js': from,
  '../api/cluster-ports.js': clusterPorts,
};

describeNats('docs/cluster.md', () => {
  let server: PrivateServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('has examples with their output', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const example of examples) {
    it(`${example.name} prints what the guide says`, async () => {
      expect(example.source).toContain("'nats://127.0.0.1:4222'");
      const source = example.source.replaceAll("'nats://127.0.0.1:4222'", JSON.stringify(server.url));
      expect(await runDocExample(source, modules)).toBe(example.output);
    });
  }
});
