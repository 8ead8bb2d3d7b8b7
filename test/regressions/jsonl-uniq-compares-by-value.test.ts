// Regression: `jsonl uniq` never dropped equal objects: uniq compared with ===,
// and two parsed objects are never the same object. Now values compare by
// value (objects in any key order, as jq compares them).
import { describe, expect, it } from 'vitest';
import { run } from '../cli/helpers.js';
import { installed, oracle, tempFile } from '../cli/tools.js';

const text = '{"a":1,"b":[1,2]}\n{"b":[1,2],"a":1}\n{"a":1,"b":[2,1]}\n[1,{"x":null}]\n[1,{"x":null}]\n"s"\n"s"\n2\n2.0\n{"a":{}}\n{"a":[]}\n';

describe('jsonl uniq drops equal values', () => {
  it('drops repeated objects, arrays, strings and numbers', async () => {
    const got = await run(['jsonl', 'uniq'], text);
    expect(got.stdout).toBe('{"a":1,"b":[1,2]}\n{"a":1,"b":[2,1]}\n[1,{"x":null}]\ns\n2\n{"a":{}}\n{"a":[]}\n');
  });

  it.skipIf(!installed('jq'))('counts as jq does (jq -s \'[foreach ...]\')', async () => {
    const file = tempFile(text);
    const got = await run([file, 'jsonl', 'uniq', 'count']);
    const expected = oracle('jq -s \'[foreach .[] as $x ({}; {prev: .cur, cur: $x, first: (.first == null)}; select(.first or .prev != .cur))] | length\' "$F"', file);
    expect(got.stdout).toBe(expected.toString());
  });
});
