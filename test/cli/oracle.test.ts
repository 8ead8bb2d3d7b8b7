// The command line against grep, awk, wc, uniq, cut, head, tail and tr on
// the same generated sample: they are the oracle.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleText } from '../../examples/sample.js';
import { run } from './helpers.js';

let file: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'pushback-oracle-'));
  file = join(dir, 'sample.log');
  writeFileSync(file, sampleText({ lines: 20_000, seed: 5 }));
});

function sh(script: string): string {
  return execFileSync('sh', ['-c', script], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' } });
}

const cases: [string[], string][] = [
  [['grep', 'ERROR'], 'grep ERROR "$F"'],
  [['grep', '-v', 'INFO'], 'grep -v INFO "$F"'],
  [['grep', '-i', 'error'], 'grep -i error "$F"'],
  [['grep', '/ 5\\d\\d \\d+ms/'], 'grep -E " 5[0-9]{2} [0-9]+ms" "$F"'],
  [['filter', 'x => x.includes("/login") && x.includes("POST")'], 'grep /login "$F" | grep POST'],
  [['count'], 'wc -l < "$F" | tr -d " "'],
  [['grep', 'ERROR', 'count'], 'grep -c ERROR "$F"'],
  [['uniq'], 'uniq "$F"'],
  [['uniq', 'count'], 'uniq "$F" | wc -l | tr -d " "'],
  [['fields', '3'], 'awk \'{print $3}\' "$F"'],
  [['fields', '3', 'uniq'], 'awk \'{print $3}\' "$F" | uniq'],
  [['fields', '1,4'], 'awk \'{print $1, $4}\' "$F"'],
  [['fields', '-d', '/', '2'], 'awk -F/ \'{print $2}\' "$F"'],
  [['fields', '-d', ' ', '2,3'], 'cut -d" " -f2,3 "$F"'],
  [['map', 'x.split(" ").length'], 'awk \'{print NF}\' "$F"'],
  [['fields', '7', 'map', 'parseInt(x) || 0', 'sum'], 'awk \'{s += $7} END {print s}\' "$F"'],
  [['take', '25'], 'head -n 25 "$F"'],
  [['drop', '19990'], 'tail -n +19991 "$F"'],
  [['grep', 'WARN', 'drop', '3', 'take', '4'], 'grep WARN "$F" | tail -n +4 | head -n 4'],
  [['upper'], 'tr a-z A-Z < "$F"'],
  [['tr', 'a-z', 'n-za-m'], 'tr a-z n-za-m < "$F"'],
];

describe('the CLI agrees with the classic tools', () => {
  for (const [args, script] of cases) {
    it(`pushback ${args.join(' ')}  ==  ${script}`, async () => {
      const expected = sh(`F='${file}'; ${script}`);
      const got = await run([file, ...args]);
      expect(got.stderr).toBe('');
      expect(got.status).toBe(0);
      expect(got.stdout).toBe(expected);
    });
  }

  it('reads stdin when given no file', async () => {
    const expected = sh(`grep ERROR '${file}'`);
    const { readFileSync } = await import('node:fs');
    const got = await run(['grep', 'ERROR'], readFileSync(file));
    expect(got.stdout).toBe(expected);
  });

  it('several files one after the other, like cat', async () => {
    const got = await run([file, file, 'count']);
    expect(got.stdout).toBe('40000\n');
  });
});
