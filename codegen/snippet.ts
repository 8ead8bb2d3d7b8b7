// Process snippets: parsed once with acorn, then cloned per use with names
// rewritten on the AST (never with regexes) and printed with astring.
//
// A snippet is trusted library code written by a process definition. Inside it:
//   x              the element arriving at the process (element rules)
//   n              the magnitude of the proposed transfer (admittance rules)
//   emit(v)        hand v on to the rule's target (element rules)
//   admit('spec')  the admittance of another spec (admittance rules)
// Every other free name must be a declared state field, a parameter, or a
// well-known global such as Math.
import { parse } from 'acorn';
import { codeNode, printed, type Code, type Name, type Node } from './code.js';

export type { Node };

const GLOBALS = new Set(['Math', 'Number', 'Infinity', 'NaN', 'undefined', 'Array', 'String', 'Object', 'Error', 'Uint8Array']);
export const SNIPPET_NAMES = new Set(['x', 'n', 'emit', 'admit']);
/** The bounds of the chunk, named only in the range code of an element rule. */
const RANGE_NAMES = new Set(['start', 'end']);

/**
 * What a name means to the snippet language itself, if anything: a parameter
 * or state field with such a name would silently take its place (a parameter
 * `x` would be emitted instead of the element), so definitions may not use them.
 */
export function reservedMeaning(name: string): string | undefined {
  if (name === 'x') return 'the element';
  if (name === 'n') return 'the request size';
  if (name === 'emit' || name === 'admit') return 'a hook';
  if (RANGE_NAMES.has(name)) return 'a bound of the chunk';
  if (GLOBALS.has(name)) return 'a global';
  return undefined;
}

export class SnippetError extends Error {
  override name = 'SnippetError';
}

/**
 * What parsing a snippet finds, before its names are checked against a
 * definition: the tree, the names it declares and uses, its admit() specs and
 * the number of its emit() statements.
 */
interface Analysis {
  ast: Node;
  locals: string[];
  admits: string[];
  emits: number;
  used: string[];
}

/**
 * The same, as the command line's bundle carries it for every snippet of the
 * library, made when the bundle was built (scripts/build-cli.mjs): the tree as
 * JSON text, parsed only when a chain is compiled from the snippet. Parsing all
 * the snippets with acorn when the definitions load costs more than everything
 * else a short command does. Keyed by `${kind}\n${source}`, so an entry is the
 * analysis of exactly that text: whatever asks for it gets what acorn would give.
 */
type PrecomputedAnalysis = [ast: string, locals: string[], admits: string[], emits: number, used: string[]];
declare const PUSHBACK_PRECOMPUTED_SNIPPETS: Record<string, PrecomputedAnalysis> | undefined;
const precomputed = typeof PUSHBACK_PRECOMPUTED_SNIPPETS === 'object' ? PUSHBACK_PRECOMPUTED_SNIPPETS : undefined;

/** While the build records: every analysis made from source, in the form above. */
let recording: Map<string, PrecomputedAnalysis> | undefined;

/**
 * Starts recording the analysis of every snippet parsed from now on (in this
 * module instance); the build loads the library's definitions and embeds what
 * the returned map holds. Only trees that survive JSON are recorded (no regular
 * expression or BigInt literals): anything else is parsed when it is defined.
 */
export function recordSnippetAnalyses(): Map<string, PrecomputedAnalysis> {
  recording ??= new Map();
  return recording;
}

const analysisKey = (kind: 'statements' | 'expression', source: string): string => `${kind}\n${source}`;

/** Parses and walks a snippet; throws SnippetError for what no definition could accept. */
function analyse(source: string, kind: 'statements' | 'expression', where: string): Analysis {
  let ast: Node;
  try {
    ast = kind === 'expression'
      ? parse(`(${source})`, { ecmaVersion: 2022 }).body[0]
      : parse(source, { ecmaVersion: 2022, allowReturnOutsideFunction: false });
  } catch (error) {
    const e = error as { message: string; pos?: number };
    const column = (e.pos ?? 0) + (kind === 'expression' ? 0 : 1);
    throw new SnippetError(`${where}: cannot parse ${JSON.stringify(source)} at column ${column}: ${e.message}`);
  }
  if (kind === 'expression' && ast.type !== 'ExpressionStatement') {
    throw new SnippetError(`${where}: ${JSON.stringify(source)} is not an expression`);
  }
  const locals = new Set<string>();
  const admits: string[] = [];
  let emits = 0;
  const used = new Set<string>();
  let portable = true;
  visit(ast, (node, parent, key) => {
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier') locals.add(node.id.name);
    if (node.type === 'CatchClause' && node.param?.type === 'Identifier') locals.add(node.param.name);
    if (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'FunctionDeclaration') {
      throw new SnippetError(`${where}: snippets may not define functions (${JSON.stringify(source)})`);
    }
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier') {
      if (node.callee.name === 'admit') {
        const arg = node.arguments[0];
        if (node.arguments.length !== 1 || arg.type !== 'Literal' || typeof arg.value !== 'string') {
          throw new SnippetError(`${where}: admit() takes one spec string literal`);
        }
        admits.push(arg.value);
      }
      if (node.callee.name === 'emit') {
        if (node.arguments.length !== 1 || parent?.type !== 'ExpressionStatement') {
          throw new SnippetError(`${where}: emit(value) must be a statement of its own`);
        }
        emits++;
      }
    }
    if (node.type === 'Literal' && ((typeof node.value === 'object' && node.value !== null) || typeof node.value === 'bigint')) portable = false;
    if (node.type === 'Identifier' && isReference(parent, key)) used.add(node.name);
  });
  const analysis: Analysis = { ast, locals: [...locals], admits, emits, used: [...used] };
  if (recording && portable) recording.set(analysisKey(kind, source), [JSON.stringify(clone(ast)), analysis.locals, admits, emits, analysis.used]);
  return analysis;
}

export class Snippet {
  private tree: Node | undefined;
  private treeText: string | undefined;

  private constructor(
    readonly source: string,
    readonly kind: 'statements' | 'expression',
    /** The tree, or its JSON text when it came precomputed (parsed on first use). */
    tree: Node | string,
    /** Names the snippet declares itself; renamed per instance for hygiene. */
    readonly locals: ReadonlySet<string>,
    /** Specs named by admit('...') calls, in order. */
    readonly admits: readonly string[],
    readonly emits: number,
  ) {
    if (typeof tree === 'string') this.treeText = tree;
    else this.tree = tree;
  }

  private get ast(): Node {
    this.tree ??= JSON.parse(this.treeText!);
    return this.tree;
  }

  /** `where` prefixes error messages (the process class and rule). */
  static parse(source: string, kind: 'statements' | 'expression', where: string, known: ReadonlySet<string>): Snippet {
    const found = precomputed?.[analysisKey(kind, source)];
    const analysis: Analysis | PrecomputedAnalysis = found ?? analyse(source, kind, where);
    const [tree, locals, admits, emits, used] = Array.isArray(analysis)
      ? analysis
      : [analysis.ast, analysis.locals, analysis.admits, analysis.emits, analysis.used];
    for (const name of locals) {
      if (SNIPPET_NAMES.has(name)) throw new SnippetError(`${where}: a snippet may not declare ${JSON.stringify(name)}, which already names the element, the request size or a hook`);
    }
    const declared = new Set(locals);
    for (const name of used) {
      if (!known.has(name) && !declared.has(name) && !GLOBALS.has(name) && !SNIPPET_NAMES.has(name)) {
        throw new SnippetError(`${where}: unknown name ${JSON.stringify(name)} in ${JSON.stringify(source)}`);
      }
    }
    return new Snippet(source, kind, tree, declared, admits, emits);
  }

  /**
   * A fresh copy of the AST with every reference rewritten by `rewrite` (which
   * returns a replacement node, or undefined to keep the name), `emit(v)`
   * statements replaced by `onEmit(v)`, and `admit('spec')` by `onAdmit(spec)`.
   */
  instantiate(hooks: {
    rewrite: (name: string) => Node | undefined;
    onEmit?: (value: Node) => Node;
    onAdmit?: (spec: string) => Node;
  }): Node {
    const copy = clone(this.kind === 'expression' ? this.ast.expression : this.ast);
    return transform(copy, undefined, undefined, hooks);
  }
}

function transform(node: Node, parent: Node, key: string | undefined, hooks: {
  rewrite: (name: string) => Node | undefined;
  onEmit?: (value: Node) => Node;
  onAdmit?: (spec: string) => Node;
}): Node {
  if (node.type === 'ExpressionStatement' && isCallTo(node.expression, 'emit') && hooks.onEmit) {
    return hooks.onEmit(transform(node.expression.arguments[0], node.expression, 'arguments', hooks));
  }
  if (isCallTo(node, 'admit') && hooks.onAdmit) return hooks.onAdmit(node.arguments[0].value);
  if (node.type === 'Identifier' && isReference(parent, key)) return hooks.rewrite(node.name) ?? node;
  if (node.type === 'Property' && node.shorthand) node.shorthand = false; // the value may be renamed
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (Array.isArray(v)) node[k] = v.map((c) => (isNode(c) ? transform(c, node, k, hooks) : c));
    else if (isNode(v)) node[k] = transform(v, node, k, hooks);
  }
  return node;
}

function isCallTo(node: Node, name: string): boolean {
  return node?.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === name;
}

/** True when the identifier at parent[key] refers to a variable (not a property key or label). */
function isReference(parent: Node, key: string | undefined): boolean {
  if (!parent) return true;
  if ((parent.type === 'MemberExpression') && key === 'property' && !parent.computed) return false;
  if ((parent.type === 'Property' || parent.type === 'MethodDefinition') && key === 'key' && !parent.computed) return false;
  if (parent.type === 'LabeledStatement' || parent.type === 'BreakStatement' || parent.type === 'ContinueStatement') return false;
  return true;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';
}

function visit(node: Node, fn: (node: Node, parent: Node, key: string | undefined) => void, parent?: Node, key?: string): void {
  fn(node, parent, key);
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (Array.isArray(v)) for (const c of v) { if (isNode(c)) visit(c, fn, node, k); }
    else if (isNode(v)) visit(v, fn, node, k);
  }
}

function clone(node: Node): Node {
  if (Array.isArray(node)) return node.map(clone);
  if (typeof node !== 'object' || node === null) return node;
  const out: Node = {};
  for (const k of Object.keys(node)) {
    if (k === 'start' || k === 'end' || k === 'loc' || k === 'range') continue;
    out[k] = clone(node[k]);
  }
  return out;
}

// AST constructors for the few nodes the compiler builds itself: from Names and
// Code only, never from strings.
export const ast = {
  id: (name: Name): Node => ({ type: 'Identifier', name: name.text }),
  member: (object: Name, property: Name): Node => ({
    type: 'MemberExpression', object: { type: 'Identifier', name: object.text },
    property: { type: 'Identifier', name: property.text }, computed: false, optional: false,
  }),
  /** Already generated Code spliced into a snippet (the target of an emit). */
  code: (c: Code): Node => codeNode(c),
};

/** A snippet instance (or any node built by `ast`) printed as Code. */
export function print(node: Node): Code {
  return printed(node);
}
