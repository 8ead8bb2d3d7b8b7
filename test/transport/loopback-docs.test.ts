// The ```ts example in docs/transports.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import { describe, expect, test } from 'vitest';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import * as address from '../../engine/address.js';
import * as io from '../../engine/io.js';
import * as ports from '../../engine/ports.js';
import * as processModule from '../../engine/process.js';
import * as map from '../../processes/elements/map.js';
import * as collect from '../../processes/sinks/collect.js';
import * as from from '../../processes/sources/from.js';
import * as loopback from '../../transport/loopback.js';

/** The modules the example may import, by the path it uses (relative to docs/). */
const modules: Record<string, unknown> = {
  '../engine/address.js': address,
  '../engine/io.js': io,
  '../engine/ports.js': ports,
  '../engine/process.js': processModule,
  '../processes/elements/map.js': map,
  '../processes/sinks/collect.js': collect,
  '../processes/sources/from.js': from,
  '../transport/loopback.js': loopback,
};

const examples = docExamples(new URL('../../docs/transports.md', import.meta.url));

describe('docs/transports.md', () => {
  test('has an example with its output', () => {
    expect(examples.length).toBeGreaterThanOrEqual(1);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    });
  }
});
