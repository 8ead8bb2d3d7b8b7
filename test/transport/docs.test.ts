// Every ```ts example in docs/workers.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import * as apiIO from '../../api/io.js';
import * as apiParallel from '../../api/parallel.js';
import * as address from '../../engine/address.js';
import * as io from '../../engine/io.js';
import * as ports from '../../engine/ports.js';
import * as process from '../../engine/process.js';
import * as references from '../../freezer/references.js';
import * as map from '../../processes/elements/map.js';
import * as collect from '../../processes/sinks/collect.js';
import * as from from '../../processes/sources/from.js';
import * as codec from '../../transport/codec.js';
import * as portable from '../../transport/portable.js';
import * as layout from '../../transport/ring-layout.js';
import * as reader from '../../transport/ring-reader.js';
import * as writer from '../../transport/ring-writer.js';
import * as workerHost from '../../transport/worker-host.js';
import { buildForWorkers } from './build.js';

// The worker runs the built worker container; the examples import its path from './worker-script.js'.
let built: { dir: string; remove: () => void } | undefined;
beforeAll(() => {
  built = buildForWorkers(['transport/worker-container.ts']);
}, 180_000);
afterAll(() => built?.remove());
const workerScript = {
  get script(): string {
    return join(built!.dir, 'transport/worker-container.js');
  },
};

/** The modules the examples may import, by the path they use (relative to docs/). */
const modules: Record<string, unknown> = {
  '../transport/codec.js': codec,
  '../transport/portable.js': portable,
  '../transport/ring-layout.js': layout,
  '../transport/ring-reader.js': reader,
  '../transport/ring-writer.js': writer,
  '../transport/worker-host.js': workerHost,
  './worker-script.js': workerScript,
  '../api/io.js': apiIO,
  '../api/parallel.js': apiParallel,
  '../engine/address.js': address,
  '../engine/io.js': io,
  '../engine/ports.js': ports,
  '../engine/process.js': process,
  '../processes/elements/map.js': map,
  '../processes/sinks/collect.js': collect,
  '../processes/sources/from.js': from,
  '../freezer/references.js': references,
  // The module-reference example makes a project folder with a package in it.
  'node:fs': fs,
  'node:os': os,
  'node:path': path,
};

const examples = docExamples(new URL('../../docs/workers.md', import.meta.url));

describe('docs/workers.md', () => {
  test('has examples with outputs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    });
  }
});
