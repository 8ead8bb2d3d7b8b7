// The parameters of a process sent to another thread. A function goes as its
// source text when it is portable (transport/portable.ts: no free names but
// standard globals), and is checked again by the receiving host before that
// host turns it back into a function; every other value goes through the value
// codec (transport/codec.ts), which refuses what cannot cross, naming it.
//
// Turning the text back into a function is generated code: the text is the
// user's function, parsed by the check as exactly one function expression
// (nothing before or after it), and the function is named by the process and
// the parameter, both checked names, never by anything from the text.
import { decodeValues, encodeValues } from './codec.js';
import { checkPortable } from './portable.js';

export type PackedParam =
  | { readonly kind: 'function'; readonly source: string }
  | { readonly kind: 'values'; readonly bytes: Uint8Array };

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
export function packParams(params: Readonly<Record<string, unknown>>, label: string): PackedParams {
  const packed: Record<string, PackedParam> = {};
  for (const [key, value] of Object.entries(params)) {
    checkName(key, `${label}: the parameter`);
    packed[key] = typeof value === 'function'
      ? { kind: 'function', source: checkPortable(value as (...args: never[]) => unknown, `${label} '${key}'`).source }
      : { kind: 'values', bytes: encodeValues([value]) };
  }
  return packed;
}

/**
 * The receiving host's side: checks every function again (this host does not
 * trust the sender's check) and turns the parameters back into values.
 * `processName` is the process's registered name.
 */
export function unpackParams(packed: PackedParams, processName: string, label: string): Record<string, unknown> {
  checkName(processName, 'the process name');
  const params: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(packed)) {
    checkName(key, `${label}: the parameter`);
    if (p.kind === 'function') {
      const { source } = checkPortable(p.source, `${label} '${key}'`);
      params[key] = reviveFunction(source, `${processName}.${key}`);
    } else {
      params[key] = decodeValues(p.bytes)[0];
    }
  }
  return params;
}

/** A checked function expression's text as a function; `name` (checked names only) is its sourceURL. */
function reviveFunction(source: string, name: string): unknown {
  // The text passed checkPortable: one function expression, no free names.
  const make = new Function(`'use strict';\nreturn (\n${source}\n);\n//# sourceURL=pushback-portable/${name}.js`) as () => unknown;
  return make();
}
