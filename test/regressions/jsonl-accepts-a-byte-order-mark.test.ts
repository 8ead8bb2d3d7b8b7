// Regression: a UTF-8 byte order mark at the start of a JSON-lines file made
// its first line a bad line (reported and skipped). jq accepts it; so does jsonl.
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, oracle, tempFile } from '../cli/tools.js';

describe('jsonl and a byte order mark', () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\n{"a":2}\n')]);

  it('the first line parses', async () => {
    const got = await run(['jsonl', 'map', 'x.a'], bytes);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe('1\n2\n');
  });

  it.skipIf(!installed('jq'))('as jq reads it', async () => {
    const file = tempFile(bytes);
    const got = await run([file, 'jsonl']);
    expect(got.stdout).toBe(oracle('jq -c . "$F"', file).toString());
  });

  it('only at the start: elsewhere it is a bad line', async () => {
    const got = await run(['jsonl'], Buffer.concat([Buffer.from('{"a":1}\n'), bytes]));
    expect(got.stdout).toBe('{"a":1}\n{"a":2}\n');
    expect(got.stderr).toMatch(/^pushback: jsonl: line 2: /);
  });
});
