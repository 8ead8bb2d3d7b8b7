// Module references: the other way to send a function to another host. The
// function is named, not sent (`{ module, export }`), and the receiving host
// imports it. Before accepting work, the host checks that it can: the module
// is found from its own root, the package is the version the sender had, and
// the export is there. A refusal lists everything that is missing at once, so
// one deployment fixes them all.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ModuleReference {
  /** A package specifier (`pkg`, `pkg/sub`, `@scope/pkg`) or a path. */
  readonly module: string;
  /** The export to call. */
  readonly export: string;
  /** The package's version on the sending host; a host with another version refuses. */
  readonly version?: string;
}

/** Work a host cannot accept: what it was asked to run does not resolve there. */
export class MissingDependenciesError extends Error {
  override name = 'MissingDependenciesError';
  constructor(readonly process: string, readonly missing: readonly string[]) {
    super(`${process}: this host cannot run it; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  }
}

/** The name of the package a bare specifier belongs to, or undefined for a path. */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The package's folder as Node would find it from `root`: the nearest node_modules up the tree. */
function packageDir(name: string, root: string): string | undefined {
  for (let dir = resolvePath(root); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function versionOf(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * What the sender puts in a reference: the module's package version as found
 * from `root` on the sending host.
 */
export function moduleReference(module: string, exportName: string, root: string): ModuleReference {
  const name = packageNameOf(module);
  const dir = name ? packageDir(name, root) : undefined;
  const version = dir ? versionOf(dir) : undefined;
  return version === undefined ? { module, export: exportName } : { module, export: exportName, version };
}

/**
 * Checks, on the receiving host, that every reference resolves from `root`
 * (its project folder): the module is found, its package has the version the
 * sender had, and the module has the export. Throws MissingDependenciesError
 * listing every problem; returns the functions otherwise, in order.
 */
export async function resolveModuleReferences(
  refs: readonly ModuleReference[],
  root: string,
  process: string,
): Promise<((...args: unknown[]) => unknown)[]> {
  const missing: string[] = [];
  const found: ((...args: unknown[]) => unknown)[] = [];
  const require = createRequire(join(resolvePath(root), 'package.json'));
  for (const ref of refs) {
    const what = `${ref.module}${ref.version ? `@${ref.version}` : ''}`;
    const name = packageNameOf(ref.module);
    if (name) {
      const dir = packageDir(name, root);
      if (!dir) {
        missing.push(`module '${ref.module}' (package ${name}${ref.version ? `@${ref.version}` : ''}) is not installed`);
        continue;
      }
      const here = versionOf(dir);
      if (ref.version !== undefined && here !== ref.version) {
        missing.push(`package ${name}@${ref.version} is needed, but ${name}@${here ?? 'without a version'} is installed`);
        continue;
      }
    }
    if (!name && !existsSync(resolvePath(root, ref.module.startsWith('file:') ? new URL(ref.module).pathname : ref.module))) {
      missing.push(`module '${ref.module}' is not found`);
      continue;
    }
    let url: string;
    try {
      url = name ? pathToFileURL(require.resolve(ref.module)).href : pathToFileURL(resolvePath(root, ref.module)).href;
    } catch (e) {
      missing.push(`module '${what}' cannot be resolved: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(url)) as Record<string, unknown>;
    } catch (e) {
      missing.push(`module '${what}' cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const f = namespace[ref.export];
    if (typeof f !== 'function') {
      missing.push(f === undefined ? `module '${what}' has no export '${ref.export}'` : `export '${ref.export}' of module '${what}' is not a function`);
      continue;
    }
    found.push(f as (...args: unknown[]) => unknown);
  }
  if (missing.length > 0) throw new MissingDependenciesError(process, missing);
  return found;
}
