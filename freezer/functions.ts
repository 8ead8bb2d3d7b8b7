// Functions in a snapshot. A closure's variables live in this process's heap,
// so a function is saved only when it is portable (transport/portable.ts): its
// source means the same thing anywhere because it uses no names but its own and
// the language's standard globals. Any other function is named in the
// snapshot's notes with the way to make it portable, and restore asks the caller
// to pass it again by process label and parameter (`{ 'map#3.f': f }`).
import { checkPortable, NotPortableError } from '../transport/portable.js';
import type { FrozenParam } from './graph.js';

type AnyFunction = (...args: never[]) => unknown;

/** The key a function passed again at restore goes by: `map#3.f`. */
export function functionKey(label: string, param: string): string {
  return `${label}.${param}`;
}

/** How to make a function portable, for the notes. */
export const MAKE_PORTABLE =
  'write it without free variables (only its parameters, its own locals and standard globals such as Math), ' +
  'or pass it again at restore: IO.restore(file, { functions: { KEY: f } })';

export function freezeFunction(f: AnyFunction, label: string, param: string): FrozenParam {
  try {
    return { kind: 'source', source: checkPortable(f, `${label} '${param}'`).source };
  } catch (e) {
    if (e instanceof NotPortableError) return { kind: 'pass-again', why: e.reason };
    throw e;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Turns saved source back into a function. The source is checked again as it
 * enters (a snapshot file is input like any other): it must be one portable
 * function expression, so it reaches nothing but its own names and standard
 * globals. The function is compiled in strict mode, named after its process
 * index and parameter in the `sourceURL` (both checked: a number and an identifier).
 */
export function reviveFunction(source: string, index: number, param: string, label: string): AnyFunction {
  const checked = checkPortable(source, `${label} '${param}'`).source;
  if (!Number.isSafeInteger(index) || !IDENTIFIER.test(param)) throw new TypeError(`${label}: cannot name a restored function for parameter ${JSON.stringify(param)}`);
  const make = new Function(`"use strict";\nreturn (${checked}\n);\n//# sourceURL=pushback-restored/process_${index}_${param}.js`) as () => AnyFunction;
  const f = make();
  if (typeof f !== 'function') throw new TypeError(`${label} '${param}': the saved source is not a function`);
  return f;
}
