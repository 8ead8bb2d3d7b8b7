/**
 * Tuples and the patterns that select them.
 *
 * Every event in a realm is a tuple: a kind, a topic and arguments. The kind
 * uses the sigils of the notation: `#` a signal, `$` a proclamation, and `.`
 * a call on an attenuated object (see vassal.ts).
 *
 * A pattern is an array whose head names kind and topic, followed by argument
 * patterns:
 *
 *   []                           everything (a monitor)
 *   ['$']  ['#']                 every proclamation / every signal
 *   ['$present']                 proclamation `present` with any arguments
 *   ['$present', 'alice']        ... exactly one argument equal to 'alice'
 *   ['$edge', bind('x'), _]      ... two arguments; the first is bound to x
 *   ['$log', 'error', Rest]      ... first argument 'error', any others
 *
 * Literal values filter by structural equality (the "bound values filter" of
 * the design). A name bound twice must bind equal values. A pattern may also
 * be written as a string for the head alone: '$present' is ['$present'].
 */
import { describe, isPlainObject, structurallyEqual } from './values.js';

export type Kind = '#' | '$' | '.';

export interface Tuple {
  readonly kind: Kind;
  readonly topic: string;
  readonly args: readonly unknown[];
}

export interface Match extends Tuple {
  /** Values captured by `bind(name)` in the pattern. */
  readonly bindings: Readonly<Record<string, unknown>>;
}

/** Matches any single value. */
export const _: unique symbol = Symbol('pushback.realm.any');
/** As the last argument pattern: matches any number of remaining arguments. */
export const Rest: unique symbol = Symbol('pushback.realm.rest');

export class Binding {
  constructor(readonly name: string) {}
}

/** Capture the value at this position under `name`. */
export function bind(name: string): Binding {
  return new Binding(name);
}

export type Pattern = string | readonly unknown[];

export interface CompiledPattern {
  /** Undefined: any kind. */
  readonly kind: Kind | undefined;
  /** Undefined: any topic. */
  readonly topic: string | undefined;
  readonly source: string;
  /** The pattern as given, as an array (a snapshot saves it to subscribe again: freezer/realms.ts). */
  readonly parts: readonly unknown[];
  /** The bindings if the tuple matches, otherwise null. */
  match(t: Tuple): Record<string, unknown> | null;
}

/** Argument patterns nest at most this deep (matching them recurses). */
const MAX_PATTERN_DEPTH = 64;

const KINDS: ReadonlySet<string> = new Set(['#', '$', '.']);
const NO_BINDINGS: Readonly<Record<string, unknown>> = Object.freeze({});

export function parseHead(head: string): { kind: Kind; topic: string | undefined } {
  const kind = head.charAt(0);
  if (!KINDS.has(kind)) {
    throw new SyntaxError(`pattern head ${JSON.stringify(head)} must start with '#', '$' or '.'`);
  }
  return { kind: kind as Kind, topic: head.length > 1 ? head.slice(1) : undefined };
}

export function compilePattern(pattern: Pattern): CompiledPattern {
  if (typeof pattern !== 'string' && !Array.isArray(pattern)) {
    throw new TypeError(`a pattern is an array like ['$topic', ...args] or a head like '$topic', got ${describe(pattern)}`);
  }
  const parts: readonly unknown[] = typeof pattern === 'string' ? [pattern] : pattern;
  checkAcyclic(parts);
  const source = typeof pattern === 'string' ? pattern : describePattern(parts);
  if (parts.length === 0) {
    return { kind: undefined, topic: undefined, source, parts, match: () => NO_BINDINGS };
  }
  const head = parts[0];
  if (typeof head !== 'string') throw new SyntaxError(`pattern ${source}: the head must be a string like '$topic'`);
  const { kind, topic } = parseHead(head);
  const argPatterns = parts.slice(1);
  const restAt = argPatterns.indexOf(Rest);
  if (restAt !== -1 && restAt !== argPatterns.length - 1) {
    throw new SyntaxError(`pattern ${source}: Rest may only be the last argument`);
  }
  // A head alone means "this topic, whatever the arguments".
  const anyArgs = argPatterns.length === 0;
  const fixed = restAt === -1 ? argPatterns : argPatterns.slice(0, restAt);
  const exactArity = restAt === -1;
  const hasBindings = fixed.some(containsBinding);
  return {
    kind,
    topic,
    source,
    parts,
    match(t: Tuple): Record<string, unknown> | null {
      if (t.kind !== kind) return null;
      if (topic !== undefined && t.topic !== topic) return null;
      if (anyArgs) return NO_BINDINGS;
      const args = t.args;
      if (exactArity ? args.length !== fixed.length : args.length < fixed.length) return null;
      const bindings: Record<string, unknown> | null = hasBindings ? {} : null;
      for (let i = 0; i < fixed.length; i++) {
        if (!matchValue(fixed[i], args[i], bindings, 0)) return null;
      }
      return bindings ?? NO_BINDINGS;
    },
  };
}

/**
 * Refuses a pattern that contains itself: matching it would never end. Walks
 * without recursion, so a deep (but finite) pattern is no problem either.
 */
function checkAcyclic(parts: readonly unknown[]): void {
  // Depth-first with the path on a stack: an object met again on its own path is a cycle.
  const onPath = new Set<object>([parts]);
  const stack: { node: object; children: unknown[]; at: number }[] = [{ node: parts, children: [...parts], at: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.at === top.children.length) {
      onPath.delete(top.node);
      stack.pop();
      continue;
    }
    const child = top.children[top.at++];
    if (!Array.isArray(child) && !isPlainObject(child)) continue;
    if (onPath.has(child)) throw new TypeError('pattern is cyclic: an argument pattern contains itself');
    if (stack.length > MAX_PATTERN_DEPTH) throw new TypeError(`pattern nested deeper than ${MAX_PATTERN_DEPTH} levels`);
    onPath.add(child);
    stack.push({ node: child, children: Array.isArray(child) ? [...child] : Object.values(child), at: 0 });
  }
}

function containsBinding(p: unknown): boolean {
  if (p instanceof Binding) return true;
  if (Array.isArray(p)) return p.some(containsBinding);
  if (isPlainObject(p)) return Object.values(p).some(containsBinding);
  return false;
}

function matchValue(p: unknown, x: unknown, bindings: Record<string, unknown> | null, depth: number): boolean {
  if (p === _) return true;
  if (p instanceof Binding) {
    const b = bindings as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(b, p.name)) return structurallyEqual(b[p.name], x);
    b[p.name] = x;
    return true;
  }
  if (depth > MAX_PATTERN_DEPTH) throw new TypeError(`pattern nested deeper than ${MAX_PATTERN_DEPTH} levels`);
  if (Array.isArray(p)) {
    if (!Array.isArray(x)) return false;
    const restAt = p.indexOf(Rest);
    const n = restAt === -1 ? p.length : restAt;
    if (restAt === -1 ? x.length !== n : x.length < n) return false;
    for (let i = 0; i < n; i++) if (!matchValue(p[i], x[i], bindings, depth + 1)) return false;
    return true;
  }
  if (isPlainObject(p) && containsWildcard(p)) {
    if (!isPlainObject(x)) return false;
    const keys = Object.keys(p);
    if (keys.length !== Object.keys(x).length) return false;
    for (const k of keys) {
      if (!Object.prototype.hasOwnProperty.call(x, k)) return false;
      if (!matchValue(p[k], x[k], bindings, depth + 1)) return false;
    }
    return true;
  }
  return structurallyEqual(p, x);
}

function containsWildcard(p: unknown): boolean {
  if (p === _ || p === Rest || p instanceof Binding) return true;
  if (Array.isArray(p)) return p.some(containsWildcard);
  if (isPlainObject(p)) return Object.values(p).some(containsWildcard);
  return false;
}

function describePattern(parts: readonly unknown[]): string {
  const show = (p: unknown): string => {
    if (p === _) return '_';
    if (p === Rest) return '...';
    if (p instanceof Binding) return `?${p.name}`;
    if (Array.isArray(p)) return `[${p.map(show).join(', ')}]`;
    return typeof p === 'string' ? JSON.stringify(p) : String(p);
  };
  return `[${parts.map((p, i) => (i === 0 && typeof p === 'string' ? p : show(p))).join(', ')}]`;
}

/** Build a Match from a tuple and the bindings a pattern produced. */
export function matchOf(t: Tuple, bindings: Readonly<Record<string, unknown>>): Match {
  return { kind: t.kind, topic: t.topic, args: t.args, bindings };
}
