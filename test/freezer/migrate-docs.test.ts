// Every ```ts example of docs/freezer.md that is followed by a ```text block
// runs here and must print exactly that text (the realm snapshot and the
// migration examples; these start worker threads, which run the built worker
// container).
import * as fs from 'node:fs';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDocExample } from '../support/doc-examples.js';
import * as address from '../../engine/address.js';
import * as definition from '../../engine/definition.js';
import * as io from '../../api/io.js';
import * as references from '../../freezer/references.js';
import * as migrate from '../../freezer/migrate.js';
import * as workerHost from '../../transport/worker-host.js';
import { buildForWorkers } from '../transport/build.js';

let built: { dir: string; remove: () => void } | undefined;
beforeAll(() => {
  built = buildForWorkers(['transport/worker-container.ts']);
}, 180_000);
afterAll(() => built?.remove());

const modules: Record<string, unknown> = {
  'node:fs': fs,
  'node:os': os,
  'node:path': path,
  '../engine/address.js': address,
  '../engine/definition.js': definition,
  '../api/io.js': io,
  '../freezer/references.js': references,
  '../freezer/migrate.js': migrate,
  '../transport/worker-host.js': workerHost,
  './worker-script.js': {
    get script(): string {
      return join(built!.dir, 'transport/worker-container.js');
    },
  },
};

// Each ```ts block on its own (the guide also has blocks without an output, which are not run).
const guide = readFileSync(new URL('../../docs/freezer.md', import.meta.url), 'utf8');
const examples = [...guide.matchAll(/```ts\n([\s\S]*?)```\n/g)].flatMap((m) => {
  const after = guide.slice(m.index + m[0].length);
  const output = /^\n```text\n([\s\S]*?)```/.exec(after);
  if (output === null) return [];
  const heading = [...guide.slice(0, m.index).matchAll(/^#{2,3} (.*)$/gm)].at(-1)?.[1] ?? 'intro';
  return [{ name: heading, source: m[1]!, output: output[1]! }];
});

describe('docs/freezer.md', () => {
  test('has the realm snapshot and migration examples with outputs', () => {
    expect(examples.map((e) => e.name)).toEqual([
      'Realm snapshots',
      'Migration mode: moving running processes to a worker thread',
      'Moving back, and between workers',
      'Strict refusals',
      'The dependency check',
    ]);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    }, 60_000);
  }
});
