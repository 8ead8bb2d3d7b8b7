// A run stopped by an error further on (here sum meeting a record that is not a
// number) ends the byte loop's input while it holds the start of a line cut by
// a read. That is no last line: jsonl parsed it and reported a bad JSON line
// that the file does not have ("line 7827: Unterminated string").
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { tempFile } from '../cli/tools.js';

describe('a stopped run', () => {
  it('does not parse the partial line it holds', async () => {
    // More than one read (1 MiB) of lines, record 2 not a number.
    const lines = Array.from({ length: 30_000 }, (_, k) => JSON.stringify(k === 1 ? { other: k } : { ms: k, pad: 'x'.repeat(40) }));
    const file = tempFile('', 'cut.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const got = await run([file, 'jsonl', 'map', 'x.ms', 'sum']);
    expect(got.status).toBe(2);
    expect(got.stderr).toBe('pushback: sum: record 2: not a number: "undefined"\n');
  });
});
