// Every ```ts example in docs/realms.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import { describe, expect, test } from 'vitest';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import * as entry from '../../index.js';
import * as realm from '../../realm/index.js';

/** The modules the examples may import, by the path they use (relative to examples/). */
const modules: Record<string, unknown> = {
  '../realm/index.js': realm,
  '../index.js': entry,
};

const examples = docExamples(new URL('../../docs/realms.md', import.meta.url));

describe('docs/realms.md', () => {
  test('has examples with outputs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });
  for (const example of examples) {
    test(example.name, async () => {
      expect(await runDocExample(example.source, modules)).toBe(example.output);
    });
  }
});
