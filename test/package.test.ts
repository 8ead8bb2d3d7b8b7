// The package as a user installs it: the project's tracked files copied into a
// scratch folder and packed there (so prepack's real build runs, and package.json's
// `files` list decides what ships), installed into a fresh project, imported as ESM
// through the `exports` map, type-checked as a consumer and run through its bin.
// The repository's own dist/ is never touched, so other tests may use it meanwhile.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'pushback-package-'));
const staged = join(scratch, 'staged');
const app = join(scratch, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let packed: string[] = [];

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
}

beforeAll(() => {
  mkdirSync(staged);
  for (const f of sh('git', ['ls-files', '-z'], root).split('\0').filter((f) => f !== '' && existsSync(join(root, f)))) {
    mkdirSync(dirname(join(staged, f)), { recursive: true });
    copyFileSync(join(root, f), join(staged, f));
  }
  symlinkSync(join(root, 'node_modules'), join(staged, 'node_modules'), 'dir');
  const report = JSON.parse(sh(npm, ['pack', '--json', '--silent', '--pack-destination', scratch], staged)) as { filename: string; files: { path: string }[] }[];
  packed = report[0].files.map((f) => f.path);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { 'pushback-ts': `file:../${report[0].filename}` } }));
  sh(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the installable package', () => {
  it('ships the built library, its types, the bin, README and licence, and nothing else', () => {
    expect(packed).toContain('dist/engine/index.js');
    expect(packed).toContain('dist/engine/index.d.ts');
    expect(packed).toContain('dist/bin/pushback.cjs');
    expect(packed).toContain('dist/bin/cli.cjs');
    expect(packed).toContain('dist/bin/cli.cjs.cache');
    expect(packed).toContain('dist/bin/acorn.cjs');
    expect(packed).toContain('dist/bin/acorn.cjs.cache');
    expect(packed).toContain('dist/inspect/page.js');
    expect(packed).toContain('README.md');
    expect(packed).toContain('LICENSE');
    // Besides code and types, only the V8 code caches of the command line's bundles (bin/code-cache.ts).
    const stray = packed.filter((p) => !(p.startsWith('dist/') && /\.(js|cjs|d\.ts)$/.test(p)) && !['package.json', 'README.md', 'LICENSE', 'dist/bin/cli.cjs.cache', 'dist/bin/acorn.cjs.cache'].includes(p));
    expect(stray).toEqual([]);
    expect(packed.filter((p) => /^(test|bench|docs)\/|^dist\/(test|bench)\/|\.map$/.test(p))).toEqual([]);
  });

  it('imports as ESM through the exports map and runs a chain', () => {
    writeFileSync(join(app, 'use.mjs'), [
      "import { IO, Port, ports, explain } from 'pushback-ts';",
      'const io = new IO();',
      'const sum = io.from([1, 2, 3, 4]).grep((x) => x % 2 === 0).map((x) => x * 10).reduce((a, x) => a + x, 0);',
      'console.log(JSON.stringify({ sum: sum.run(), port: typeof Port, ports: typeof ports.connect, explain: typeof explain }));',
    ].join('\n'));
    const out = sh(process.execPath, ['use.mjs'], app);
    expect(JSON.parse(out)).toEqual({ sum: 60, port: 'function', ports: 'function', explain: 'function' });
  });

  it('does not expose its internal files: only the entry and package.json', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('pushback-ts/dist/engine/io.js')"], { cwd: app, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('type-checks a consumer against the shipped declarations', () => {
    writeFileSync(join(app, 'use.ts'), [
      "import { IO, Port, Scheduler, World, UserCodeError, CapabilityError, sandbox, readOnlyIO, tcpServer, processes, type Chain, type Sink, type Realm, type TcpServer } from 'pushback-ts';",
      'const io = new IO();',
      'const evens: Chain<number> = io.from([1, 2, 3]).grep((x: number) => x % 2 === 0);',
      'const n: number = evens.map((x: number) => x + 1).reduce((a: number, x: number) => a + x, 0).run();',
      // Every step is a member: no import for its side effect.
      "const lines: Chain<string> = io.file('x.txt').lines().grep(/ERROR/).take(10);",
      'const [a, b] = io.from([1, 2]).tee();',
      'const merged: Chain<number> = io.merge(a, b);',
      "const zipped: Chain<[number, string]> = io.zip(io.from([1]), io.from(['a']));",
      'const written: Sink<number> = lines.unlines().toStdout();',
      // Ports, the server pattern, realms, sandboxes, the seeded scheduler and errors, typed.
      'const listening: Port = Port.listen(io);',
      'const server: Promise<TcpServer> = tcpServer(io, { pipe: (c) => c.map((x) => x) });',
      'const realm: Realm = new World();',
      'const boxed = sandbox(io, readOnlyIO);',
      'const boxedLines: Chain<string> = boxed.file("x.txt").lines();',
      'const seed: number | undefined = new Scheduler({ seed: 7 }).seed;',
      'const isUserCodeError: boolean = new Error() instanceof UserCodeError || new Error() instanceof CapabilityError;',
      "const mapName: string = processes.map.name;",
      'export { n, merged, zipped, written, listening, server, realm, boxedLines, seed, isUserCodeError, mapName };',
    ].join('\n'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
      include: ['use.ts'],
    }));
    const r = spawnSync(process.execPath, [join(root, 'node_modules', '.bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('installs the pushback command', () => {
    const bin = join(app, 'node_modules', '.bin', 'pushback');
    expect(existsSync(bin)).toBe(true);
    const r = spawnSync(bin, ['--sample', 'count'], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Number(r.stdout.trim())).toBeGreaterThan(0);
    expect(readdirSync(join(app, 'node_modules', 'pushback-ts'))).not.toContain('test');
  });

  it("keeps the NATS client out of the command line's bundle: required from the dependencies only when a program joins a cluster", () => {
    const bundle = readFileSync(join(app, 'node_modules', 'pushback-ts', 'dist', 'bin', 'cli.cjs'), 'utf8');
    expect(bundle).toContain('require("@nats-io/transport-node")');
    expect(bundle).not.toMatch(/node_modules\/@nats-io\//);
  });
});
