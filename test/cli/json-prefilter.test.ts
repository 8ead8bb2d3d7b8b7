// `jsonl filter 'x.level === "ERROR"'` parses only the lines whose bytes can
// hold "ERROR" (bin/json-prefilter.ts, processes/bytes/byte-stages.ts). The
// prefilter is a necessary condition only: the output must be what parsing
// every line gives (the same filter written so that no prefilter is derived:
// `!!(...)`), and what jq gives where it is installed.
import { describe, expect, it } from 'vitest';
import { lineCandidates } from '../../bin/json-prefilter.js';
import { run } from './helpers.js';
import { installed, oracle, tempFile } from './tools.js';

describe('which filters give a prefilter', () => {
  const given: [string, string[] | undefined, boolean?][] = [
    ['x.level === "ERROR"', ['"ERROR"', '\\u'], true],
    ['"ERROR" === x.level', ['"ERROR"', '\\u'], true],
    ["x['level'] === `ERROR`", ['"ERROR"', '\\u'], true],
    ['l => l.level === "ERROR" && l.ms > 100', ['"ERROR"', '\\u'], true],
    ['(r) => r?.http?.status === "5xx"', ['"5xx"', '\\u'], false],
    ['x.a?.b === "a/b"', ['"a/b"', '\\'], true],
    ['x.m === "say \\"hi\\""', ['"say \\"hi\\""', '\\'], true],
    // No condition: these can be true (or throw) on lines without the string.
    ['x.level == "ERROR"', undefined],
    ['x.a.b === "E"', undefined],
    ['x.a[0] === "E"', undefined],
    ['x["0"] === "E"', undefined],
    // Inherited properties lead to strings the text need not hold.
    ['x.constructor?.name === "Object"', undefined],
    ['x.a?.toString?.name === "toString"', undefined],
    ['x["__proto__"]?.constructor?.name === "Object"', undefined],
    ['x.length === "1"', undefined],
    ['x.ms > 100 && x.level === "ERROR"', undefined],
    ['x.level === "ERROR" || x.level === "WARN"', undefined],
    ['async x => x.level === "ERROR"', undefined],
    ['function (x) { return x.level === "ERROR"; }', undefined],
    ['y.level === "ERROR"', undefined],
    ['x.level === "\ufffd"', undefined],
    ['x.level.startsWith("E")', undefined],
  ];
  for (const [source, holding, nullLines] of given) {
    it(source, () => {
      const got = lineCandidates(source);
      expect(got?.holding.map((b) => b.toString('utf8'))).toEqual(holding);
      if (got) expect(got.startingWith.length > 0).toBe(nullLines);
    });
  }
});

/** Lines where a byte-level look and the parsed value disagree. */
const tricky = [
  '\ufeff{"level":"ERROR","path":"/bom"}',
  '{"level":"INFO","path":"/other-field","note":"ERROR"}',
  '{"level":"INFO","path":"/escaped-quotes","note":"say \\"ERROR\\""}',
  '{"level":"\\u0045RROR","path":"/unicode-escape"}',
  '{"level":"ERR\\u004fR","path":"/unicode-escape-inside"}',
  '{"level":"ERROR","path":"/crlf"}\r',
  '{"level" : "ERROR" , "path" : "/spaces"}',
  '  {"level":"ERROR","path":"/indented"}',
  '{"level":"ERRORS","path":"/longer"}',
  '{"level":"error","path":"/lower-case"}',
  '{"nested":{"level":"ERROR"},"path":"/nested"}',
  '["ERROR","/array"]',
  '"ERROR"',
  '42',
  '',
  '   ',
  '{"level":"ERROR","path":"/caf\u00e9 \u2603"}',
  '{"level":"ERROR","path":"/last-line-without-newline"}',
].join('\n');

const filters = ['x.level === "ERROR"', 'x => x?.level === "ERROR"', 'x.level === "ERROR" && x.path !== "/crlf"'];

describe('jsonl filter with a prefilter gives what parsing every line gives', () => {
  for (const f of filters) {
    it(f, async () => {
      const file = tempFile(tricky, 'tricky.jsonl');
      const fast = await run([file, 'jsonl', 'filter', f, 'map', 'x.path']);
      const every = await run([file, 'jsonl', 'filter', `!!(${f.startsWith('x =>') ? `(${f})(x)` : f})`, 'map', 'x.path']);
      expect(fast).toEqual(every);
      expect(fast.status).toBe(0);
      expect(fast.stdout).toContain('/unicode-escape\n');
      expect(fast.stdout).toContain('/unicode-escape-inside\n');
      expect(fast.stdout).toContain('/bom\n');
      expect(fast.stdout).not.toContain('/other-field');
    });
  }

  it.skipIf(!installed('jq'))('as jq selects', async () => {
    const file = tempFile(tricky.split('\n').filter((l) => !/^(\[|"|42)/.test(l)).join('\n'), 'objects.jsonl');
    const got = await run([file, 'jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path']);
    expect(got.stdout).toBe(oracle('jq -r \'select(.level == "ERROR") | .path\' "$F"', file).toString());
  });

  it('finds the string in lines split across reads, and numbers bad lines as the file does', async () => {
    const lines = Array.from({ length: 3000 }, (_, k) => (k % 997 === 5 ? '{bad' : JSON.stringify({ level: k % 7 === 0 ? 'ERROR' : 'INFO', path: `/p${k}` })));
    const text = `${lines.join('\n')}\n`;
    const chunks: Buffer[] = [];
    for (let at = 0; at < text.length; at += 1000 + (at % 7)) chunks.push(Buffer.from(text.slice(at, at + 1000 + (at % 7))));
    const got = await run(['jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path'], chunks);
    expect(got.stdout).toBe(lines.filter((l) => l.includes('ERROR')).map((l) => `${JSON.parse(l).path}\n`).join(''));
    // The bad lines hold no "ERROR": they are passed over unparsed, so not reported.
    expect(got.stderr).toBe('');
    const strict = await run(['--strict', 'jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path'], chunks);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/^pushback: jsonl: line 6: /);
    const badError = await run(['jsonl', 'filter', 'x.level === "ERROR"'], '{"level":"INFO"}\n\n{"level":"ERROR",\n');
    expect(badError.stderr).toMatch(/^pushback: jsonl: line 3: /);
  });

  it('a chain through inherited properties keeps every record it is true for', async () => {
    const got = await run(['jsonl', 'filter', 'x.constructor?.name === "Object"', 'map', 'x.n'], '{"n":1}\n[2]\n{"n":3}\n');
    expect(got.stdout).toBe('1\n3\n');
  });

  it('with a take after it, no line past those taken is parsed', async () => {
    const text = '{"level":"ERROR","n":1}\nbad\n{"level":"ERROR","n":3}\n';
    for (const stages of [['jsonl', 'take', '1'], ['jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.n', 'take', '1']]) {
      const got = await run(['--strict', ...stages], text);
      expect(got.stderr).toBe('');
      expect(got.status).toBe(0);
    }
  });

  it('a null line still stops the run, as the expression throws on it', async () => {
    const text = '{"level":"ERROR","path":"/a"}\nnull\n{"level":"ERROR","path":"/b"}\n';
    const fast = await run(['jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path'], text);
    expect(fast.status).toBe(2);
    expect(fast.stdout).toBe('/a\n');
    expect(fast.stderr).toMatch(/TypeError: Cannot read properties of null/);
    const optional = await run(['jsonl', 'filter', 'x?.level === "ERROR"', 'map', 'x.path'], text);
    expect(optional.status).toBe(0);
    expect(optional.stdout).toBe('/a\n/b\n');
  });

  it('bytes that are not UTF-8 stay as JSON.parse of their decoding reads them', async () => {
    const bytes = Buffer.concat([Buffer.from('{"level":"ERROR","path":"/'), Buffer.from([0xe9]), Buffer.from('"}\n{"level":"INFO","path":"/x"}\n')]);
    const got = await run(['jsonl', 'filter', 'x.level === "ERROR"', 'map', 'x.path'], bytes);
    expect(got.stdout).toBe('/\ufffd\n');
  });

  it('--explain shows the prefilter, never the string', async () => {
    const got = await run(['--explain', 'jsonl', 'filter', 'x.level === "SECRET"']);
    expect(got.stdout).toContain('jsonl: parse only a line that holds one of 2 byte strings');
    expect(got.stdout).not.toContain('SECRET');
  });
});
