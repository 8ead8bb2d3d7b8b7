// Portable functions: a closure cannot cross a thread (its variables live in
// this thread's heap), so a function sent to another host goes as source text,
// and that text must mean the same thing there. It does when every name it
// uses is either its own (parameters, locals, nested functions) or a standard
// global of the language, the same on every host. This module checks that
// with acorn when a chain is built, so the refusal comes early and names the
// free variable, the function and the process.
//
// The check is a scope analysis of the function's syntax tree: declarations
// are collected per scope first (var and function declarations hoist to their
// function, let/const/class stay in their block), then every identifier in an
// expression position is resolved through the scope chain. `this`, `arguments`
// and `super` at the top of the function belong to whoever defined it (an
// arrow's belong to the enclosing code, and a function's own `this` is not
// carried either), so they are refused there and allowed inside nested
// functions and classes that own them. `with` is refused (its names cannot be
// resolved from the text) and so are eval, Function and import(), which reach
// beyond the text.
import { parse } from 'acorn';
import type { Node } from 'estree';

/**
 * The standard globals a portable function may use: the language's own
 * objects, which every host has and which close over nothing of ours. Not
 * process, require, globalThis, Function, eval or anything else that reaches
 * the host.
 */
export const STANDARD_GLOBALS: ReadonlySet<string> = new Set([
  'undefined', 'NaN', 'Infinity',
  'Math', 'JSON', 'Number', 'String', 'Boolean', 'BigInt', 'Symbol', 'Array', 'Object', 'Date', 'RegExp',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'Promise', 'Reflect', 'Intl',
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
  'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'TextEncoder', 'TextDecoder',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI',
]);

/** A function that cannot be sent to another host, with why. */
export class NotPortableError extends Error {
  override name = 'NotPortableError';
  constructor(
    /** The process the function belongs to. */
    readonly process: string,
    /** The start of the function's source, for the message. */
    readonly excerpt: string,
    /** Why, in a few words. */
    readonly reason: string,
    /** The free variable, when that is the reason. */
    readonly freeName?: string,
  ) {
    super(`${process}: the function \`${excerpt}\` is not portable to another host: ${reason}`);
  }
}

export interface PortableFunction {
  /** The source text to send: a function or arrow expression (a method is normalised to a function expression). */
  readonly source: string;
}

const EXCERPT_LENGTH = 60;

function excerptOf(source: string): string {
  const flat = source.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_LENGTH ? `${flat.slice(0, EXCERPT_LENGTH - 1)}…` : flat;
}

/**
 * Texts that passed the check, with the text to send. The check is a function
 * of the text alone (whether the function object is bound or native is asked
 * every time, before the text is looked up), and the same functions are checked again and
 * again: by the sending thread for every chain built with them, and by a
 * worker for every job of parallel(). Parsing one with acorn takes a few
 * hundred microseconds, on the way to the first chunk of every job. Refusals
 * are not kept: their message names the process.
 */
const passed = new Map<string, string>();
/** Bounded: a thread given ever new texts forgets the oldest. */
const KEEP_PASSED = 1024;

/**
 * Checks that `f` (a function, or its source text) can be sent to another
 * host as source text, and returns that text. `process` names the process it
 * belongs to in the refusal (for example `map#3 'f'`).
 */
export function checkPortable(f: ((...args: never[]) => unknown) | string, process: string): PortableFunction {
  const source = typeof f === 'string' ? f : Function.prototype.toString.call(f);
  const refuse = (reason: string, freeName?: string): never => {
    throw new NotPortableError(process, excerptOf(source), reason, freeName);
  };
  if (typeof f === 'function') {
    if (f.name.startsWith('bound ')) refuse('a bound function keeps its bound `this` and arguments in this thread');
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) refuse('a native function has no source text');
  }
  const known = passed.get(source);
  if (known !== undefined) return { source: known };
  if (/^class\b/.test(source.trimStart())) refuse('a class is not a function to call; send a module reference');
  const fn = functionNode(source) ?? methodAsFunction(source, refuse);
  if (!fn) refuse('it is not the source of one function expression');
  const { node, text } = fn!;
  const problem = freeNameIn(node);
  if (problem) {
    const at = problem.line === undefined ? '' : ` (line ${problem.line}, column ${problem.column})`;
    if (problem.kind === 'free') {
      refuse(`it uses \`${problem.name}\`${at}, a name from outside the function; only its own names and standard globals (Math, JSON, Number, …) may be used`, problem.name);
    }
    refuse(`${problem.name}${at}`);
  }
  if (passed.size >= KEEP_PASSED) passed.delete(passed.keys().next().value!);
  passed.set(source, text);
  return { source: text };
}

interface Parsed {
  node: Node;
  text: string;
}

const parseOptions = { ecmaVersion: 'latest', sourceType: 'script', locations: true } as const;

// One function or arrow expression and nothing else: the source is wrapped in
// parentheses, and anything after the function (`x => x); evil(`) makes a
// second statement or a syntax error, both refused.
function functionNode(source: string): Parsed | undefined {
  let program;
  try {
    program = parse(`(${source}\n)`, parseOptions) as unknown as { body: Node[] };
  } catch {
    return undefined;
  }
  if (program.body.length !== 1) return undefined;
  const statement = program.body[0];
  if (statement.type !== 'ExpressionStatement') return undefined;
  const e = statement.expression;
  if (e.type !== 'FunctionExpression' && e.type !== 'ArrowFunctionExpression') return undefined;
  return { node: e, text: source };
}

// A method's text (`f(x) { … }`, from `{ f(x) { … } }.f.toString()`) is not an
// expression. Parsed inside an object literal, a plain, async or generator
// method becomes the function expression it means: `function (x) { … }`.
// Getters, setters and computed names are refused.
function methodAsFunction(source: string, refuse: (reason: string) => never): Parsed | undefined {
  let program;
  try {
    program = parse(`({${source}\n})`, parseOptions) as unknown as { body: Node[] };
  } catch {
    return undefined;
  }
  const statement = program.body[0];
  if (program.body.length !== 1 || statement.type !== 'ExpressionStatement' || statement.expression.type !== 'ObjectExpression') return undefined;
  const properties = statement.expression.properties;
  if (properties.length !== 1 || properties[0].type !== 'Property') return undefined;
  const p = properties[0];
  if (!p.method && p.kind === 'init') return undefined;
  if (p.kind !== 'init') refuse(`a ${p.kind}ter is not a function to send`);
  if (p.computed) refuse('a method with a computed name cannot be normalised');
  const value = p.value as Node & { start: number; end: number; async: boolean; generator: boolean };
  // Positions are in the wrapped text, which starts with `({`.
  const paramsAndBody = source.slice(value.start - 2, value.end - 2);
  const text = `${value.async ? 'async ' : ''}function${value.generator ? '*' : ''} ${paramsAndBody}`;
  // The method's own node is what gets checked (a `super` in it is refused
  // as such); the text must also stand on its own as a function expression.
  if (!freeNameIn(value) && !functionNode(text)) refuse('the method cannot be normalised to a function expression');
  return { node: value, text };
}

// ---------------------------------------------------------------- scopes

interface Problem {
  kind: 'free' | 'other';
  name: string;
  line?: number;
  column?: number;
}

class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | undefined, readonly isFunction: boolean) {}
  has(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }
  functionScope(): Scope {
    let s: Scope = this;
    while (!s.isFunction && s.parent) s = s.parent;
    return s;
  }
}

type AnyNode = Node & { [key: string]: unknown; loc?: { start: { line: number; column: number } } };

class FoundProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.name);
  }
}

function freeNameIn(fn: Node): Problem | undefined {
  try {
    // The outermost scope declares nothing: every name found there is free.
    visitFunction(fn as AnyNode, new Scope(undefined, true), true, true);
    return undefined;
  } catch (e) {
    if (e instanceof FoundProblem) return e.problem;
    throw e;
  }
}

// The line in the wrapped text is the line in the source; a column on the
// first line is off by one, for the wrapping `(`.
function problemAt(node: AnyNode, kind: Problem['kind'], name: string): FoundProblem {
  const loc = node.loc?.start;
  return new FoundProblem({ kind, name, line: loc?.line, column: loc ? (loc.line === 1 ? loc.column - 1 : loc.column) + 1 : undefined });
}

/** Names bound by a pattern (`a`, `{ a, b: [c] }`, `...d`, `e = 1`), declared into `scope`; defaults and computed keys are walked as expressions in `exprScope`. */
function declarePattern(p: AnyNode, scope: Scope, exprScope: Scope, top: boolean): void {
  switch (p.type) {
    case 'Identifier':
      scope.names.add(p.name);
      return;
    case 'ObjectPattern':
      for (const prop of p.properties as AnyNode[]) {
        if (prop.type === 'RestElement') declarePattern(prop.argument as AnyNode, scope, exprScope, top);
        else {
          if (prop.computed) visit(prop.key as AnyNode, exprScope, top);
          declarePattern(prop.value as AnyNode, scope, exprScope, top);
        }
      }
      return;
    case 'ArrayPattern':
      for (const e of p.elements as (AnyNode | null)[]) if (e) declarePattern(e, scope, exprScope, top);
      return;
    case 'RestElement':
      declarePattern(p.argument as AnyNode, scope, exprScope, top);
      return;
    case 'AssignmentPattern':
      declarePattern(p.left as AnyNode, scope, exprScope, top);
      visit(p.right as AnyNode, exprScope, top);
      return;
    case 'MemberExpression':
      // Only in assignment targets (`[a.b] = xs`), not declarations: an expression.
      visit(p, exprScope, top);
      return;
  }
}

/** Declarations that belong to `scope` from a list of statements: let/const/class here, var and functions hoisted. */
function hoist(statements: readonly AnyNode[], scope: Scope): void {
  for (const s of statements) hoistStatement(s, scope, true);
}

function hoistStatement(s: AnyNode | null | undefined, scope: Scope, direct: boolean): void {
  if (!s) return;
  switch (s.type) {
    case 'VariableDeclaration':
      if (s.kind === 'var') for (const d of s.declarations as AnyNode[]) namesOf(d.id as AnyNode, scope.functionScope());
      else if (direct) for (const d of s.declarations as AnyNode[]) namesOf(d.id as AnyNode, scope);
      return;
    case 'FunctionDeclaration':
      // A function declared in a block is block-scoped in strict code and
      // also hoisted in sloppy code: declared in both, never falsely free.
      if (direct && s.id) {
        scope.names.add((s.id as AnyNode & { name: string }).name);
        scope.functionScope().names.add((s.id as AnyNode & { name: string }).name);
      }
      return;
    case 'ClassDeclaration':
      if (direct && s.id) scope.names.add((s.id as AnyNode & { name: string }).name);
      return;
    // var declarations inside nested statements still hoist to the function.
    case 'IfStatement':
      hoistStatement(s.consequent as AnyNode, scope, false);
      hoistStatement(s.alternate as AnyNode, scope, false);
      return;
    case 'ForStatement':
      hoistStatement(s.init as AnyNode, scope, false);
      hoistStatement(s.body as AnyNode, scope, false);
      return;
    case 'ForInStatement':
    case 'ForOfStatement':
      hoistStatement(s.left as AnyNode, scope, false);
      hoistStatement(s.body as AnyNode, scope, false);
      return;
    case 'WhileStatement':
    case 'DoWhileStatement':
    case 'LabeledStatement':
      hoistStatement(s.body as AnyNode, scope, false);
      return;
    case 'BlockStatement':
      for (const b of s.body as AnyNode[]) hoistStatement(b, scope, false);
      return;
    case 'TryStatement':
      hoistStatement(s.block as AnyNode, scope, false);
      hoistStatement((s.handler as AnyNode | null)?.body as AnyNode, scope, false);
      hoistStatement(s.finalizer as AnyNode, scope, false);
      return;
    case 'SwitchStatement':
      for (const c of s.cases as AnyNode[]) for (const b of c.consequent as AnyNode[]) hoistStatement(b, scope, false);
      return;
  }
}

function namesOf(p: AnyNode, scope: Scope): void {
  switch (p.type) {
    case 'Identifier':
      scope.names.add(p.name);
      return;
    case 'ObjectPattern':
      for (const prop of p.properties as AnyNode[]) namesOf((prop.type === 'RestElement' ? prop.argument : prop.value) as AnyNode, scope);
      return;
    case 'ArrayPattern':
      for (const e of p.elements as (AnyNode | null)[]) if (e) namesOf(e, scope);
      return;
    case 'RestElement':
      namesOf(p.argument as AnyNode, scope);
      return;
    case 'AssignmentPattern':
      namesOf(p.left as AnyNode, scope);
  }
}

/**
 * A function: its own name (for a named expression), its parameters (with
 * defaults resolved among them), `arguments` unless it is an arrow, then its
 * body. `top` says whether `this`, `arguments` and `super` are still the
 * defining code's: true for the function being checked and for arrows in it.
 */
function visitFunction(fn: AnyNode, outer: Scope, top: boolean, checked = false): void {
  const isArrow = fn.type === 'ArrowFunctionExpression';
  // An arrow shares `this` with the code around it; any other function has
  // its own, except the checked function, whose `this` is its caller's here.
  const own = isArrow ? top : checked;
  let scope = outer;
  if (fn.type === 'FunctionExpression' && fn.id) {
    scope = new Scope(scope, false);
    scope.names.add((fn.id as AnyNode & { name: string }).name);
  }
  const fnScope = new Scope(scope, true);
  if (!isArrow) fnScope.names.add('arguments');
  for (const p of fn.params as AnyNode[]) declarePattern(p, fnScope, fnScope, own);
  const body = fn.body as AnyNode;
  if (body.type === 'BlockStatement') {
    hoist(body.body as AnyNode[], fnScope);
    for (const s of body.body as AnyNode[]) visit(s, fnScope, own);
  } else {
    visit(body, fnScope, own);
  }
}

function visitClass(c: AnyNode, outer: Scope, top: boolean): void {
  if (c.superClass) visit(c.superClass as AnyNode, outer, top);
  const scope = new Scope(outer, false);
  if (c.id) scope.names.add((c.id as AnyNode & { name: string }).name);
  for (const m of (c.body as AnyNode).body as AnyNode[]) {
    if (m.computed) visit(m.key as AnyNode, scope, top);
    if (m.type === 'MethodDefinition') visitFunction(m.value as AnyNode, scope, false);
    else if (m.type === 'PropertyDefinition' && m.value) {
      // A field initialiser runs with the instance as `this`: like a method.
      visit(m.value as AnyNode, new Scope(scope, true), false);
    } else if (m.type === 'StaticBlock') {
      const block = new Scope(scope, true);
      hoist(m.body as AnyNode[], block);
      for (const s of m.body as AnyNode[]) visit(s, block, false);
    }
  }
}

function visit(n: AnyNode | null | undefined, scope: Scope, top: boolean): void {
  if (!n) return;
  switch (n.type) {
    case 'Identifier':
      if (!scope.has(n.name) && !STANDARD_GLOBALS.has(n.name)) throw problemAt(n, 'free', n.name);
      return;
    case 'ThisExpression':
      if (top) throw problemAt(n, 'other', 'it uses `this`, which belongs to the code that defined it and does not travel');
      return;
    case 'Super':
      if (top) throw problemAt(n, 'other', 'it uses `super`, which belongs to the class that defined it');
      return;
    case 'WithStatement':
      throw problemAt(n, 'other', 'it uses `with`, whose names cannot be resolved from the source');
    case 'ImportExpression':
      throw problemAt(n, 'other', 'it uses import(), which loads code on the host; send a module reference instead');
    case 'MetaProperty':
      if ((n.meta as AnyNode & { name: string }).name === 'import') throw problemAt(n, 'other', 'it uses import.meta');
      return;
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      visitFunction(n, scope, top);
      return;
    case 'FunctionDeclaration':
      // Its name was hoisted into the enclosing scope.
      visitFunction(n, scope, false);
      return;
    case 'ClassDeclaration':
    case 'ClassExpression':
      visitClass(n, scope, top);
      return;
    case 'VariableDeclaration':
      for (const d of n.declarations as AnyNode[]) {
        declarePattern(d.id as AnyNode, new Scope(undefined, false), scope, top); // names are hoisted; walk defaults
        visit(d.init as AnyNode, scope, top);
      }
      return;
    case 'BlockStatement':
    case 'StaticBlock': {
      const block = new Scope(scope, false);
      hoist(n.body as AnyNode[], block);
      for (const s of n.body as AnyNode[]) visit(s, block, top);
      return;
    }
    case 'ForStatement':
    case 'ForInStatement':
    case 'ForOfStatement': {
      const head = new Scope(scope, false);
      const init = (n.type === 'ForStatement' ? n.init : n.left) as AnyNode | null;
      if (init?.type === 'VariableDeclaration' && init.kind !== 'var') for (const d of init.declarations as AnyNode[]) namesOf(d.id as AnyNode, head);
      if (n.type === 'ForStatement') {
        visit(init, head, top);
        visit(n.test as AnyNode, head, top);
        visit(n.update as AnyNode, head, top);
      } else {
        if (init?.type === 'VariableDeclaration') visit(init, head, top);
        else visitPatternTarget(init as AnyNode, head, top);
        visit(n.right as AnyNode, head, top);
      }
      visit(n.body as AnyNode, head, top);
      return;
    }
    case 'CatchClause': {
      const c = new Scope(scope, false);
      if (n.param) declarePattern(n.param as AnyNode, c, c, top);
      visit(n.body as AnyNode, c, top);
      return;
    }
    case 'SwitchStatement': {
      visit(n.discriminant as AnyNode, scope, top);
      const block = new Scope(scope, false);
      const all = (n.cases as AnyNode[]).flatMap((c) => c.consequent as AnyNode[]);
      hoist(all, block);
      for (const c of n.cases as AnyNode[]) {
        visit(c.test as AnyNode, block, top);
        for (const s of c.consequent as AnyNode[]) visit(s, block, top);
      }
      return;
    }
    case 'MemberExpression':
      visit(n.object as AnyNode, scope, top);
      if (n.computed) visit(n.property as AnyNode, scope, top);
      return;
    case 'Property':
      if (n.computed) visit(n.key as AnyNode, scope, top);
      if (n.method || n.kind !== 'init') visitFunction(n.value as AnyNode, scope, false);
      else visit(n.value as AnyNode, scope, top);
      return;
    case 'AssignmentExpression':
      visitPatternTarget(n.left as AnyNode, scope, top);
      visit(n.right as AnyNode, scope, top);
      return;
    case 'LabeledStatement':
      visit(n.body as AnyNode, scope, top);
      return;
    case 'BreakStatement':
    case 'ContinueStatement':
      return;
  }
  // Every other node: walk its children.
  for (const key of Object.keys(n)) {
    if (key === 'type' || key === 'loc' || key === 'start' || key === 'end') continue;
    const v = n[key];
    if (Array.isArray(v)) {
      for (const c of v) if (isNode(c)) visit(c, scope, top);
    } else if (isNode(v)) {
      visit(v, scope, top);
    }
  }
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** The target of an assignment: a pattern whose identifiers are references (assigned), not declarations. */
function visitPatternTarget(p: AnyNode | null, scope: Scope, top: boolean): void {
  if (!p) return;
  switch (p.type) {
    case 'ObjectPattern':
      for (const prop of p.properties as AnyNode[]) {
        if (prop.type === 'RestElement') visitPatternTarget(prop.argument as AnyNode, scope, top);
        else {
          if (prop.computed) visit(prop.key as AnyNode, scope, top);
          visitPatternTarget(prop.value as AnyNode, scope, top);
        }
      }
      return;
    case 'ArrayPattern':
      for (const e of p.elements as (AnyNode | null)[]) visitPatternTarget(e, scope, top);
      return;
    case 'RestElement':
      visitPatternTarget(p.argument as AnyNode, scope, top);
      return;
    case 'AssignmentPattern':
      visitPatternTarget(p.left as AnyNode, scope, top);
      visit(p.right as AnyNode, scope, top);
      return;
    default:
      visit(p, scope, top);
  }
}
