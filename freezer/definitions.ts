// The definitions a snapshot can name. Every definition the engine ships is
// found by a key: its name, or `name/export` where two built-in definitions
// share a name (`lines` and its byte-keeping twin `lines/byteLines`). A
// definition the caller made is saved by its name and must be handed to
// restore again (`definitions` option).
import { Definition } from '../engine/definition.js';
import * as processes from '../processes/index.js';
import * as byteStages from '../processes/bytes/byte-stages.js';
import * as lines from '../processes/bytes/lines.js';

const byKey = new Map<string, Definition>();
const keyOf = new Map<Definition, string>();

for (const namespace of [processes, lines, byteStages] as Record<string, unknown>[]) {
  for (const [exported, value] of Object.entries(namespace)) {
    if (!(value instanceof Definition) || keyOf.has(value)) continue;
    const key = byKey.has(value.name) ? `${value.name}/${exported}` : value.name;
    byKey.set(key, value);
    keyOf.set(value, key);
  }
}

/** The key of a built-in definition, or undefined for one the caller made. */
export function builtinKey(def: Definition): string | undefined {
  return keyOf.get(def);
}

export function builtinDefinition(key: string): Definition | undefined {
  return byKey.get(key);
}
