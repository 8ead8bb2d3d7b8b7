// Every ```ts example in docs/api.md runs here against the package entry and
// must print exactly the ```text block that follows it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import * as entry from '../../index.js';
import { docExamples, runDocExample } from '../support/doc-examples.js';

/** The modules the examples may import, by the path they use. */
const modules: Record<string, unknown> = { 'pushback-ts': entry, 'node:fs': fs, 'node:os': os, 'node:path': path };

const examples = docExamples(new URL('../../docs/api.md', import.meta.url));

describe('docs/api.md', () => {
  test('has the reducer examples with outputs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    });
  }

  test('names every export of the entry that a user calls', () => {
    const doc = fs.readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const name of ['IO', 'Chain', 'Sink', 'Reduction', 'Port', 'serve', 'tcpServer', 'World', 'sandbox', 'Scheduler', 'UserCodeError', 'processes', 'realms', 'ports']) {
      expect(entry, name).toHaveProperty(name);
      expect(doc, name).toContain(`\`${name}\``);
    }
  });
});
