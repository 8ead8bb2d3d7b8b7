// The placement service's accept path called directly, as a module that
// brings a frozen process set (processes with the state they had elsewhere,
// module references among their parameters) would call it: acceptChain
// builds them in line between two cross-host connections on the placing
// host, with their state, after the same dependency check.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { JetStreamReader, JetStreamWriter } from '../../cluster/jetstream-link.js';
import { acceptChain } from '../../cluster/placement-service.js';
import { Process } from '../../engine/process.js';
import { collect } from '../../processes/sinks/collect.js';
import { from, pump } from '../../processes/sources/from.js';
import { encodeValues } from '../../transport/codec.js';
import { ENGINE_PACKAGE } from '../../transport/dependencies.js';
import { MissingDependenciesError } from '../../transport/modules.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

describeNats('acceptChain: a frozen process set placed on a host', () => {
  let server: PrivateServer;
  let far: IO;
  let here: IO;

  beforeAll(async () => {
    server = await startServer();
    far = new IO({ cluster: { servers: server.url, name: 'far' } });
    here = new IO({ cluster: { servers: server.url, name: 'here' } });
  }, 30_000);
  afterAll(async () => {
    await Promise.all([far?.close(), here?.close()]);
    await server?.stop();
  });

  it('builds the processes with the state they had and their module references, and runs them', async () => {
    const farHost = await far.cluster();
    const me = await here.cluster();
    const writer = await JetStreamWriter.open(here, me.connection, 'frozen-in');
    const reader = await JetStreamReader.open(here, me.connection, 'frozen-out');
    const placed = await acceptChain(far, farHost, {
      from: me.index,
      headers: {
        definitions: [{ name: 'take', package: ENGINE_PACKAGE }, { name: 'map', package: ENGINE_PACKAGE }],
        modules: [{ module: './test/freezer/fixtures/halve.mjs', export: 'halve' }],
      },
      processes: [
        // A take of 5 that had let 3 through where it ran before: 2 to go.
        { name: 'take', step: 'take', params: { limit: { kind: 'values', bytes: encodeValues([5]) } }, state: encodeValues([{ remaining: 2 }]) },
        { name: 'map', step: 'map', params: { f: { kind: 'module', index: 0 } } },
      ],
      input: 'frozen-in',
      output: 'frozen-out',
      chunk: 100,
    });
    expect(placed.labels.map((l) => l.replace(/#\d+$/, ''))).toEqual(['take', 'map']);
    const sink = new Process(here, collect);
    reader.process.connect('out', sink, 'in');
    reader.start();
    const source = new Process(here, from, { xs: [10, 20, 30, 40] });
    source.connect('out', writer.process, 'in');
    while (pump(source) === 'blocked') await source.whenWritableAgain('out');
    await sink.whenEnded('in');
    expect(sink.state.items).toEqual([5, 10]);
    await placed.finished;
  }, 30_000);

  it('refuses, before making anything, a set whose definitions or modules this host lacks', async () => {
    const farHost = await far.cluster();
    const error = await acceptChain(far, farHost, {
      from: (await here.cluster()).index,
      headers: { definitions: [{ name: 'map', package: ENGINE_PACKAGE }], modules: [{ module: './no/such/module.mjs', export: 'f' }] },
      processes: [
        { name: 'map', step: 'map', params: { f: { kind: 'module', index: 0 } } },
        { name: 'take', step: 'take', params: { limit: { kind: 'values', bytes: encodeValues([1]) } } },
      ],
      input: 'refused-in',
      output: 'refused-out',
      chunk: 100,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependenciesError);
    expect((error as MissingDependenciesError).missing).toEqual([
      "module './no/such/module.mjs' is not found",
      "definition 'take' (step take) is not in the request's resolver headers",
    ]);
  }, 30_000);
});
