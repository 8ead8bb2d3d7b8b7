// The dependency check a host makes before it accepts migrated processes:
// every definition and module the resolver headers name must be here, in the
// version named; a refusal lists everything missing at once.
import { describe, expect, it } from 'vitest';
import { checkDependencies, ENGINE_PACKAGE, type HostCapabilities } from '../../transport/dependencies.js';
import { MissingDependenciesError } from '../../transport/modules.js';

const root = new URL('../..', import.meta.url).pathname;
const host: HostCapabilities = { has: (name) => name === 'map' || name === 'grep', engine: 'pushback-ts@0.1.0', root };

async function refusal(headers: Parameters<typeof checkDependencies>[0]): Promise<MissingDependenciesError> {
  const e = await checkDependencies(headers, host, 'migration of map#3').catch((error: unknown) => error);
  expect(e).toBeInstanceOf(MissingDependenciesError);
  return e as MissingDependenciesError;
}

describe('checkDependencies', () => {
  it('accepts what the host has and gives the referenced functions', async () => {
    const fns = await checkDependencies(
      { definitions: [{ name: 'map', package: 'pushback-ts@0.1.0' }], modules: [{ module: './test/freezer/fixtures/halve.mjs', export: 'halve' }] },
      host,
      'migration of map#3',
    );
    expect(fns.map((f) => f(10))).toEqual([5]);
  });

  it('a missing definition: one of the sender\'s own, and one this engine does not register', async () => {
    const e = await refusal({ definitions: [{ name: 'twice', package: 'caller' }, { name: 'sortBy', package: 'pushback-ts@0.1.0' }], modules: [] });
    expect(e.missing).toEqual([
      "definition 'twice' (from the sender's own code) is not registered on this host",
      "definition 'sortBy' (pushback-ts@0.1.0) is not registered on this host",
    ]);
  });

  it('a wrong version of the engine that provides a definition', async () => {
    const e = await refusal({ definitions: [{ name: 'map', package: 'pushback-ts@0.2.0' }], modules: [] });
    expect(e.missing).toEqual(["definition 'map' needs pushback-ts@0.2.0, but this host runs pushback-ts@0.1.0"]);
  });

  it('a missing module, a module of another version and a missing export', async () => {
    const vitest = (await import('vitest/package.json', { with: { type: 'json' } })).default as { version: string };
    const e = await refusal({
      definitions: [],
      modules: [
        { module: 'no-such-package-xyz', export: 'f', version: '1.0.0' },
        { module: 'vitest', export: 'expect', version: '0.0.1' },
        { module: './test/freezer/fixtures/halve.mjs', export: 'double' },
      ],
    });
    expect(e.missing).toEqual([
      "module 'no-such-package-xyz' (package no-such-package-xyz@1.0.0) is not installed",
      `package vitest@0.0.1 is needed, but vitest@${vitest.version} is installed`,
      "module './test/freezer/fixtures/halve.mjs' has no export 'double'",
    ]);
  });

  it('lists everything at once, definitions before modules', async () => {
    const e = await refusal({
      definitions: [{ name: 'twice', package: 'caller' }, { name: 'map', package: 'pushback-ts@9.9.9' }],
      modules: [{ module: 'no-such-package-xyz', export: 'f' }],
    });
    expect(e.missing).toHaveLength(3);
    expect(e.message).toBe(`migration of map#3: this host cannot run it; missing:\n${e.missing.map((m) => `  - ${m}`).join('\n')}`);
  });

  it('knows this engine by its package', () => {
    expect(ENGINE_PACKAGE).toMatch(/^pushback-ts@\d+\.\d+\.\d+/);
  });
});
