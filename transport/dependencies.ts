// The dependency check: before a host accepts processes sent to it, it checks
// the resolver headers the sender put in front of them. Every definition is
// named with the package@version that provides it, every module reference
// with its version. The receiving host answers with everything it lacks at
// once (not the first thing), so one deployment can fix them all; only a
// complete match is accepted.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingDependenciesError, resolveModuleReferences, type ModuleReference } from './modules.js';

/** A definition a frozen message needs, and what provides it. */
export interface DefinitionProvenance {
  /** The definition's name (as registered: processes/registry.ts). */
  readonly name: string;
  /** `pushback-ts@0.1.0` for a definition the engine ships, `caller` for one the sender's own code made. */
  readonly package: string;
}

/** What a frozen message says it needs, read by the receiving host before anything else. */
export interface ResolverHeaders {
  readonly definitions: readonly DefinitionProvenance[];
  readonly modules: readonly ModuleReference[];
}

/** This engine's package, found by walking up from this module (the source tree, dist/ and a built copy all work). */
function findEngine(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (name === 'pushback-ts') return `${name}@${version ?? '0.0.0'}`;
    }
    if (dirname(dir) === dir) return 'pushback-ts@unknown';
  }
}

/**
 * Set by the command line's bundle (scripts/build-cli.mjs), which knows its
 * package when it is built: the walk up the folders above, a few file system
 * calls, would otherwise be part of every command's start.
 */
declare const PUSHBACK_ENGINE_PACKAGE: string | undefined;

/** `pushback-ts@<version>`: the package every built-in definition comes from. */
export const ENGINE_PACKAGE = typeof PUSHBACK_ENGINE_PACKAGE === 'string' ? PUSHBACK_ENGINE_PACKAGE : findEngine();

/** What a definition the engine does not ship is said to come from: the receiver must have it from elsewhere. */
export const CALLER_PACKAGE = 'caller';

/** What the receiving host has. */
export interface HostCapabilities {
  /** Whether a definition of this name is registered here. */
  has(name: string): boolean;
  /** This host's engine package (`pushback-ts@0.1.0`). */
  engine: string;
  /** The folder module references are resolved from (the host's project). */
  root: string;
}

/**
 * Checks `headers` against what this host has. Returns the functions of the
 * module references, in order; throws MissingDependenciesError listing every
 * definition and module this host lacks. `what` names the work in the refusal.
 */
export async function checkDependencies(headers: ResolverHeaders, host: HostCapabilities, what: string): Promise<((...args: unknown[]) => unknown)[]> {
  const missing: string[] = [];
  for (const d of headers.definitions) {
    if (d.package === CALLER_PACKAGE) {
      if (!host.has(d.name)) missing.push(`definition '${d.name}' (from the sender's own code) is not registered on this host`);
    } else if (d.package !== host.engine) {
      missing.push(`definition '${d.name}' needs ${d.package}, but this host runs ${host.engine}`);
    } else if (!host.has(d.name)) {
      missing.push(`definition '${d.name}' (${d.package}) is not registered on this host`);
    }
  }
  let functions: ((...args: unknown[]) => unknown)[] = [];
  try {
    functions = await resolveModuleReferences(headers.modules, host.root, what);
  } catch (e) {
    if (!(e instanceof MissingDependenciesError)) throw e;
    missing.push(...e.missing);
  }
  if (missing.length > 0) throw new MissingDependenciesError(what, missing);
  return functions;
}
