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

/**
 * Saves `f` as source when portable. `seen` holds the verdicts of one
 * snapshot by source text: a graph made by one piece of code holds the same
 * function text many times, and the check parses it.
 */
export function freezeFunction(f: AnyFunction, label: string, param: string, seen: Map<string, FrozenParam>): FrozenParam {
  const text = Function.prototype.toString.call(f);
  const known = seen.get(text);
  // A bound or native function's text says nothing of what it holds: always checked.
  if (known !== undefined && !f.name.startsWith('bound ')) return known;
  let frozen: FrozenParam;
  try {
    frozen = { kind: 'source', source: checkPortable(f, `${label} '${param}'`).source };
  } catch (e) {
    if (!(e instanceof NotPortableError)) throw e;
    frozen = { kind: 'pass-again', why: e.reason };
  }
  seen.set(text, frozen);
  return frozen;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Turns saved source back into a function. The source is checked again as it
 * enters (a snapshot file is input like any other): it must be one portable
 * function expression, so it reaches nothing but its own names and standard
 * globals. The function is compiled in strict mode, named after its process
 * index and parameter in the `sourceURL` (both checked: a number and an identifier).
 *
 * `made` holds the functions of one restore by source: a portable function
 * closes over nothing, so processes whose functions had the same text share
 * one (checked and compiled once).
 */
export function reviveFunction(source: string, index: number, param: string, label: string, made: Map<string, AnyFunction>): AnyFunction {
  const known = made.get(source);
  if (known !== undefined) return known;
  const checked = checkPortable(source, `${label} '${param}'`).source;
  if (!Number.isSafeInteger(index) || !IDENTIFIER.test(param)) throw new TypeError(`${label}: cannot name a restored function for parameter ${JSON.stringify(param)}`);
  const make = new Function(`"use strict";\nreturn (${checked}\n);\n//# sourceURL=pushback-restored/process_${index}_${param}.js`) as () => AnyFunction;
  const f = make();
  if (typeof f !== 'function') throw new TypeError(`${label} '${param}': the saved source is not a function`);
  made.set(source, f);
  return f;
}
