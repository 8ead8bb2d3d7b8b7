// docs/adding-a-process.md shows two processes, each one file. They are real
// files in examples/processes/ (only their import paths differ, being in another
// folder): the page must show them exactly, and the equivalence suite runs them
// like any registered process (test/processes/equivalence.test.ts imports them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IO } from '../../api/io.js';
import { registry } from '../../processes/registry.js';
import { hex } from '../../examples/processes/hex.js';
import { reject } from '../../examples/processes/reject.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const doc = read('docs/adding-a-process.md');

/** The example file as it would read in its folder under processes/. */
function asInProcesses(path: string, paths: Record<string, string>): string {
  let text = read(path);
  for (const [from, to] of Object.entries(paths)) text = text.split(`'${from}'`).join(`'${to}'`);
  return text;
}

describe('docs/adding-a-process.md', () => {
  it('shows the element example file exactly, and its line in the index', () => {
    const file = asInProcesses('examples/processes/reject.ts', { '../../processes/manifest/manifest.js': '../manifest/manifest.js' });
    expect(doc).toContain(`\`processes/elements/reject.ts\`:\n\n\`\`\`ts\n${file}\`\`\``);
    expect(doc).toContain("export { reject } from './elements/reject.js';");
  });

  it('shows the chunk-level example file exactly, and its line in the index', () => {
    const file = asInProcesses('examples/processes/hex.ts', {
      '../../processes/manifest/manifest.js': '../manifest/manifest.js',
      '../../processes/bytes/residual.js': './residual.js',
    });
    expect(doc).toContain(`\`processes/bytes/hex.ts\`:\n\n\`\`\`ts\n${file}\`\`\``);
    expect(doc).toContain("export { hex } from './bytes/hex.js';");
  });

  it('the examples register their manifests and work in a chain', async () => {
    expect(registry.get('reject')?.definition).toBe(reject);
    expect(registry.get('hex')?.definition).toBe(hex);
    for (const fuse of [true, false]) {
      const io = new IO({ fuse });
      expect(await io.from([1, 2, 3, 4, 5, 6]).pipe(reject, { p: (x: number) => x % 3 === 0 }).collect().completion()).toEqual([1, 2, 4, 5]);
      const text = await io.from([...Buffer.from('Hi!')]).pipe(hex).collect().completion() as number[];
      expect(Buffer.from(text).toString()).toBe('486921');
    }
  });
});
