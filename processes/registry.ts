// Every registered process with its plain reference implementation. The shared
// equivalence test runs each of them interpreted and fused against its reference,
// and fails when a process is registered without a test case.
import type { Definition } from '../engine/definition.js';
import * as buffer from './topology/buffer.js';
import * as cat from './elements/cat.js';
import * as collect from './sinks/collect.js';
import * as copy from './topology/copy.js';
import * as drop from './elements/drop.js';
import * as each from './sinks/each.js';
import * as flatMap from './elements/flat-map.js';
import * as fromArrays from './sources/from-arrays.js';
import * as from from './sources/from.js';
import * as grep from './elements/grep.js';
import * as map from './elements/map.js';
import * as reduce from './sinks/reduce.js';
import * as router from './topology/router.js';
import * as scan from './elements/scan.js';
import * as take from './elements/take.js';
import * as union from './topology/union.js';
import * as zip from './topology/zip.js';

export interface Registered {
  definition: Definition;
  /** Input: the elements written in (an array), or one array per input for processes with several. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each process's reference takes its own input and params types
  reference: (input: any, params: any) => unknown;
}

export const registry = new Map<string, Registered>();

export function register(definition: Definition, reference: Registered['reference']): void {
  if (registry.has(definition.name)) throw new Error(`process ${definition.name} is registered twice`);
  registry.set(definition.name, { definition, reference });
}

register(cat.cat, cat.reference);
register(map.map, map.reference);
register(grep.grep, grep.reference);
register(take.take, take.reference);
register(drop.drop, drop.reference);
register(scan.scan, scan.reference);
register(reduce.reduce, reduce.reference);
register(collect.collect, collect.reference);
register(each.each, each.reference);
register(from.from, from.reference);
register(buffer.buffer, buffer.reference);
register(copy.copy, copy.reference);
register(union.union, union.reference);
register(router.router, router.reference);
register(zip.zip, zip.reference);
register(flatMap.flatMap, flatMap.reference);
register(fromArrays.fromArrays, fromArrays.reference);
