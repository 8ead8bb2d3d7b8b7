// Every ```ts example in docs/workers.md runs here and must print exactly the
// ```text block that follows it, so the guide cannot drift from the code.
import { describe, expect, test } from 'vitest';
import { docExamples, runDocExample } from '../support/doc-examples.js';
import * as codec from '../../transport/codec.js';
import * as portable from '../../transport/portable.js';
import * as layout from '../../transport/ring-layout.js';
import * as reader from '../../transport/ring-reader.js';
import * as writer from '../../transport/ring-writer.js';

/** The modules the examples may import, by the path they use (relative to docs/). */
const modules: Record<string, unknown> = {
  '../transport/codec.js': codec,
  '../transport/portable.js': portable,
  '../transport/ring-layout.js': layout,
  '../transport/ring-reader.js': reader,
  '../transport/ring-writer.js': writer,
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
