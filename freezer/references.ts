// Module references as parameters: a function that is an export of a module
// can be sent to another host by name (`{ module, export, version }`,
// transport/modules.ts) instead of as its source, so it may use names of its
// own module (imports, closures over module state) that a portable function may
// not. `byReference` marks a function as such an export; a migration sends
// the reference, and the receiving host imports the module itself after its
// dependency check (transport/dependencies.ts).
import { moduleReference, type ModuleReference } from '../transport/modules.js';

type AnyFunction = (...args: never[]) => unknown;

const references = new WeakMap<AnyFunction, ModuleReference>();

/**
 * Marks `f` as the export `exportName` of `module`, with the version of that
 * module's package found from `root` (this host's project folder); returns `f`.
 * Pass a full reference instead of `exportName` and `root` to give it as it is.
 */
export function byReference<F extends AnyFunction>(f: F, module: string, exportName: string, root: string): F;
export function byReference<F extends AnyFunction>(f: F, reference: ModuleReference): F;
export function byReference<F extends AnyFunction>(f: F, module: string | ModuleReference, exportName?: string, root?: string): F {
  references.set(f, typeof module === 'string' ? moduleReference(module, exportName!, root!) : { ...module });
  return f;
}

/** The module reference `f` was marked with, if any. */
export function referenceOf(f: unknown): ModuleReference | undefined {
  return typeof f === 'function' ? references.get(f as AnyFunction) : undefined;
}
