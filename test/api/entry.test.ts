// The public API as a user meets it: the chaining API is whole without any
// import for its side effect, the package entry exports it, and the engine's
// own index stays below it (it reaches nothing in processes/, api/, net/ or
// inspect/).
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IO as UserIO } from '../../api/io.js';
import * as entry from '../../index.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');

/** Every project file reached from `file` by static relative imports and re-exports. */
function reached(file: string): Set<string> {
  const seen = new Set<string>();
  const stack = [resolve(root, file)];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)\.js'|^import\s+'(\.[^']+)\.js'/gm)) {
      stack.push(join(dirname(f), `${m[1] ?? m[2]}.ts`));
    }
  }
  return new Set([...seen].map((f) => relative(root, f)));
}

describe('the public API', () => {
  it('has every step as a member of Chain and every source as a member of IO, with only api/io.ts imported', () => {
    const io = new UserIO();
    const chain = io.from([1, 2, 3]);
    for (const step of ['map', 'grep', 'filter', 'take', 'drop', 'scan', 'buffer', 'cat', 'flatMap', 'concatMap', 'lines', 'unlines', 'jsonl', 'stringify', 'split', 'fields', 'uniq', 'tr', 'upper', 'lower', 'mapBytes', 'copy', 'tee', 'route', 'onError', 'within', 'parallel', 'on', 'reduce', 'fold', 'count', 'sum', 'collect', 'each', 'write', 'toFile', 'toStdout', 'toWritable', 'toWeb', 'toReadable', 'toReadableStream', 'explain', 'graph']) {
      expect(typeof (chain as unknown as Record<string, unknown>)[step], step).toBe('function');
    }
    expect(typeof chain[Symbol.asyncIterator]).toBe('function');
    for (const source of ['from', 'read', 'file', 'stdin', 'fromReadable', 'fromWeb', 'fromAsync', 'merge', 'zip', 'graph', 'inspect', 'workers', 'close']) {
      expect(typeof (io as unknown as Record<string, unknown>)[source], source).toBe('function');
    }
    expect(io.merge(io.from([1, 2]), io.from([3])).map((x) => x * 10).collect().run()).toEqual([10, 20, 30]);
  });

  it('is exported by the package entry: the chaining container, ports, realms, the scheduler and errors', () => {
    expect(entry.IO).toBe(UserIO);
    expect(new entry.IO().from(['a']).collect().run()).toEqual(['a']);
    for (const name of ['Chain', 'Sink', 'Process', 'Port', 'serve', 'tcpServer', 'tcpConnect', 'World', 'Realm', 'sandbox', 'readOnlyIO', 'Scheduler', 'UserCodeError', 'CompileError', 'CapabilityError', 'define', 'explain', 'renderGraph']) {
      expect(entry, name).toHaveProperty(name);
    }
    // The rule builders keep the flat names; the processes of the same names are in the namespace.
    expect(entry.each).not.toBe(entry.processes.each);
    expect(entry.processes.map.name).toBe('map');
    expect(typeof entry.ports.connect).toBe('function');
    expect(typeof entry.realms.World).toBe('function');
  });

  it('leaves the engine below it: engine/index.ts reaches nothing in processes/, api/, net/ or inspect/', () => {
    const above = [...reached('engine/index.ts')].filter((f) => /^(processes|api|net|inspect)\//.test(f));
    expect(above).toEqual([]);
    // The entry does reach them (the check above would not be vacuous).
    expect([...reached('index.ts')].filter((f) => f.startsWith('api/')).sort()).toEqual(expect.arrayContaining(['api/chain.ts', 'api/io.ts', 'api/realm.ts']));
  });
});
