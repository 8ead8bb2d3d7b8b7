// The parameters of a process sent to another thread. A function goes as its
// source text when it is portable (transport/portable.ts: no free names but
// standard globals), and is checked again by the receiving host before that
// host turns it back into a function; a function the sender knows as a
// module's export goes as that module reference (transport/modules.ts), which
// the receiving host resolves and imports itself; every other value goes
// through the value codec (transport/codec.ts), which refuses what cannot
// cross, naming it.
//
// Turning the text back into a function is generated code: the text is the
// user's function, parsed by the check as exactly one function expression
// (nothing before or after it), and the function is named by the process and
// the parameter, both checked names, never by anything from the text.
import { decodeValues, encodeValues } from './codec.js';
import type { ModuleReference } from './modules.js';
import { checkPortable } from './portable.js';

export type PackedParam =
  | { readonly kind: 'function'; readonly source: string }
  /** A module's export: the receiving host imports it after checking that it resolves there. */
  | { readonly kind: 'reference'; readonly reference: ModuleReference }
  | { readonly kind: 'values'; readonly bytes: Uint8Array };

/** The module reference a function was marked with (freezer/references.ts, byReference), if any. */
export type ReferenceOf = (f: unknown) => ModuleReference | undefined;

/** The function a module reference names, imported by the receiving host once its check passed. */
export type ImportedFunction = (reference: ModuleReference) => unknown;

export type PackedParams = Readonly<Record<string, PackedParam>>;

const NAME = /^[A-Za-z_$][\w$]*$/;

function checkName(name: string, what: string): string {
  if (!NAME.test(name)) throw new RangeError(`${what} ${JSON.stringify(name)} is not a plain name`);
  return name;
}

/**
 * Packs a process's parameters for another host. `label` names the process in
 * a refusal (for example `map#3`): a function that is not portable is refused
 * with a NotPortableError naming the function, the process and parameter, and
 * the free name it uses.
 */
export function packParams(params: Readonly<Record<string, unknown>>, label: string, referenceOf?: ReferenceOf): PackedParams {
  const packed: Record<string, PackedParam> = {};
  for (const [key, value] of Object.entries(params)) {
    checkName(key, `${label}: the parameter`);
    const reference = typeof value === 'function' ? referenceOf?.(value) : undefined;
    packed[key] = reference !== undefined
      ? { kind: 'reference', reference: { ...reference } }
      : typeof value === 'function'
        ? { kind: 'function', source: checkPortable(value as (...args: never[]) => unknown, `${label} '${key}'`).source }
        : { kind: 'values', bytes: encodeValues([value]) };
  }
  return packed;
}

/** The module references among packed parameters, in order: what the receiving host must resolve first. */
export function referencesIn(packed: PackedParams): ModuleReference[] {
  return Object.values(packed).flatMap((p) => (p.kind === 'reference' ? [p.reference] : []));
}

/** The key under which a resolved reference's function is found again (`imported`). */
export function referenceKey(reference: ModuleReference): string {
  return `${reference.module}\n${reference.export}\n${reference.version ?? ''}`;
}

/**
 * The receiving host's side: checks every function again (this host does not
 * trust the sender's check) and turns the parameters back into values.
 * `processName` is the process's registered name. A module reference is
 * looked up with `imported`: the host resolved every reference (referencesIn)
 * before it accepted the work.
 */
export function unpackParams(packed: PackedParams, processName: string, label: string, imported?: ImportedFunction): Record<string, unknown> {
  checkName(processName, 'the process name');
  const params: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(packed)) {
    checkName(key, `${label}: the parameter`);
    if (p.kind === 'reference') {
      // Resolving is asynchronous (an import) and belongs to the host's check before it accepts the work.
      if (imported === undefined) throw new TypeError(`${label} '${key}': this host does not accept module references here (${p.reference.module}, export ${p.reference.export})`);
      params[key] = imported(p.reference);
    } else if (p.kind === 'function') {
      const { source } = checkPortable(p.source, `${label} '${key}'`);
      params[key] = reviveFunction(source, `${processName}.${key}`);
    } else {
      params[key] = decodeValues(p.bytes)[0];
    }
  }
  return params;
}

/**
 * The functions revived so far, by sourceURL name and text. A host runs the
 * same functions again and again (every job of parallel(), every run of a
 * chain), and a fused chain is compiled once per shape and shared: given a new
 * function object each time, its call site sees one more target each time and
 * V8 stops inlining it. One function per text keeps every run as fast as the
 * first. Sharing is safe because a portable function has no free names: it
 * holds nothing of its own but what it might put on itself, as the same
 * function given to several chains on one thread would.
 */
const revived = new Map<string, unknown>();
/** Bounded: a host sent ever new texts forgets the oldest. */
const KEEP_REVIVED = 1024;

/** A checked function expression's text as a function; `name` (checked names only) is its sourceURL. */
function reviveFunction(source: string, name: string): unknown {
  const key = `${name}\n${source}`;
  let f = revived.get(key);
  if (f === undefined) {
    // The text passed checkPortable: one function expression, no free names.
    const make = new Function(`'use strict';\nreturn (\n${source}\n);\n//# sourceURL=pushback-portable/${name}.js`) as () => unknown;
    f = make();
    if (revived.size >= KEEP_REVIVED) revived.delete(revived.keys().next().value!);
    revived.set(key, f);
  }
  return f;
}
