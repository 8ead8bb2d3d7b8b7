// A small code builder that makes unsafe generated code hard to write.
//
// Three types: Name (a validated identifier), Code (text that came from this
// builder or from printing a parsed AST) and value slots (user values, never
// source text: they reach the generated function through `$slots`). The `code`
// template tag accepts only Names, Code and integers, so a stray string cannot
// slip into the source. Code is made only in this module: by `code`, `join`,
// `literal`, the slot prelude and `printed` (an AST printed by astring).
import { generate, GENERATOR } from 'astring';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const RESERVED = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if implements import in instanceof interface let new null package private protected public return static ' +
    'super switch this throw true try typeof var void while with yield arguments eval undefined NaN Infinity'
  ).split(' '),
);

export class NameError extends Error {
  override name = 'NameError';
}

export function isIdentifier(text: unknown): text is string {
  return typeof text === 'string' && IDENTIFIER.test(text) && !RESERVED.has(text);
}

/** Throws unless `text` is a plain identifier; `what` says where it came from. */
export function checkIdentifier(text: unknown, what: string): string {
  if (!isIdentifier(text)) throw new NameError(`${what} ${JSON.stringify(text)} is not a valid identifier`);
  return text;
}

export class Name {
  readonly text: string;
  constructor(text: string) {
    this.text = checkIdentifier(text, 'name');
  }
  toString(): string {
    return this.text;
  }
}

/** Makes Code from text this module vouches for; set once, by the class itself, and not exported. */
let trusted: (text: string) => Code;

export class Code {
  private constructor(readonly text: string) {}
  static {
    trusted = (text) => new Code(text);
  }
  toString(): string {
    return this.text;
  }
}

type Part = Name | Code | number;

export function code(strings: TemplateStringsArray, ...parts: Part[]): Code {
  let out = strings[0];
  parts.forEach((part, i) => {
    out += partText(part) + strings[i + 1];
  });
  return trusted(out);
}

function partText(part: Part): string {
  if (part instanceof Name || part instanceof Code) return part.text;
  if (typeof part === 'number' && Number.isSafeInteger(part)) return String(part);
  throw new TypeError(`code: refusing to interpolate ${typeof part} ${String(part).slice(0, 40)}`);
}

export function join(parts: readonly Code[], separator = '\n'): Code {
  return trusted(parts.map((p) => p.text).join(separator));
}

/**
 * The one function that turns a primitive into source. JSON quoting, plus the
 * two line separators that would end a `//` comment if a literal ever landed in one.
 */
export function literal(value: string | number | boolean | null | undefined): Code {
  if (value === undefined) return trusted('undefined');
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return trusted('NaN');
    if (!Number.isFinite(value)) return trusted(value > 0 ? 'Infinity' : '-Infinity');
    return trusted(Object.is(value, -0) ? '-0' : String(value));
  }
  if (typeof value === 'string') {
    return trusted(JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'));
  }
  return trusted(JSON.stringify(value));
}

export interface Slot {
  readonly name: Name;
  readonly label: string;
  readonly value: unknown;
}

/** Values handed to a generated function by reference, each with a label for `explain`. */
export class SlotTable {
  readonly slots: Slot[] = [];

  add(value: unknown, hint: string, label: string): Name {
    const name = new Name(`${checkIdentifier(hint, 'slot hint')}$${this.slots.length}`);
    this.slots.push({ name, label, value });
    return name;
  }

  values(): unknown[] {
    return this.slots.map((s) => s.value);
  }

  /** `const f$0 = $slots[0];` for every slot; `slots` is the name of the slot array. */
  prelude(slots: Name): Code {
    return join(this.slots.map((s, i) => code`const ${s.name} = ${slots}[${i}];`));
  }
}

// ---------------------------------------------------------------- printing an AST

/* eslint-disable @typescript-eslint/no-explicit-any */
/** An ESTree node (from acorn, or built by `ast` in snippet.ts). */
export type Node = any;

/** A node that prints as already generated Code (the target of an emit spliced into a snippet). */
export function codeNode(c: Code): Node {
  return { type: 'RawCode', code: c.text };
}

// RawCode nodes print their text as is; everything else prints as astring does.
const printer = {
  ...GENERATOR,
  RawCode(node: Node, state: { write(text: string): void }) {
    state.write(node.code);
  },
} as typeof GENERATOR;

/**
 * An AST printed as Code. The nodes come from parsing trusted snippets, from
 * `ast` (Names only) and from `codeNode` (Code only), so the text is Code too.
 */
export function printed(node: Node): Code {
  return trusted(generate(node, { indent: '  ', generator: printer }));
}
