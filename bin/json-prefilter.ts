// The prefilter of `jsonl filter EXPR`: when EXPR can be true only for a
// record with a field equal to a string (`x.level === "ERROR"`), a line can
// give such a record only if its bytes hold that string as JSON writes it
// ("ERROR", quotes included) or an escape that could spell it otherwise
// ("\u0045RROR"). The byte loop (processes/bytes/byte-stages.ts) parses only
// such lines; every other line is counted and passed over.
//
// It is a necessary condition, never more: every line that meets it is parsed
// and the expression decides. A line that does not meet it is never given to
// the expression, so on such a line the expression must be false without
// throwing or doing anything else. The condition is read from the expression's
// syntax tree (acorn), never from its text, and only these shapes give one
// (anything else: no prefilter, every line is parsed):
//
//   CHAIN === STRING (either way round), STRING a string literal or a template
//       without expressions, CHAIN property reads from the parameter: x.a,
//       x["a"], x?.a, x.a?.b. Reading an own property of a parsed value gives
//       what the text holds; an inherited one may lead to a string the text
//       does not hold (x.constructor?.name is "Object"), and so may an index
//       into a string (x.a[0] is one character of it): a key that any JSON
//       value inherits (constructor, length, toString, __proto__, ...) or a
//       numeric key gives no condition. A read from null or undefined throws, so every
//       read after the first must be optional (x.a.b throws where a is
//       missing); when the first one is not, a line that may be `null` (starts
//       with n or white space) stays a candidate, and the expression throws on
//       it as it would have.
//   A && B   the condition of A: where A is false, B is not evaluated.
//   x => BODY, (x) => BODY   with BODY as above (not async: a promise is true).
//
// `==` gives no condition: it converts (42 == "42", ["a"] == "a") and may
// call an object's own conversions.
import { parseExpressionAt } from 'acorn';
import type { LineCandidates } from '../processes/bytes/byte-stages.js';

/** A node of acorn's tree, as far as this module reads it. */
interface Node {
  type: string;
  [key: string]: unknown;
}

/** What the condition of a comparison needs: the string, and whether the chain's first read may throw (on null). */
interface Comparison {
  text: string;
  throwsOnNull: boolean;
}

/** The first bytes of a line that may hold `null`: n, or JSON's white space before it. */
const MAY_BE_NULL = [0x6e, 0x20, 0x09, 0x0d];

/**
 * The candidates of lines whose record can make `source` (a filter's
 * expression, as `filter` compiles it: a function, or an expression in x)
 * true; undefined when no condition is known. The source is assumed to parse
 * (compileExpression has checked it).
 */
export function lineCandidates(source: string): LineCandidates | undefined {
  let root: Node;
  try {
    root = parseExpressionAt(source, 0, { ecmaVersion: 'latest' }) as unknown as Node;
  } catch {
    return undefined;
  }
  let parameter = 'x';
  let body = root;
  if (root.type === 'ArrowFunctionExpression') {
    const params = root.params as Node[];
    if (root.async || root.expression !== true || params.length !== 1 || params[0].type !== 'Identifier') return undefined;
    parameter = params[0].name as string;
    body = root.body as Node;
  } else if (root.type === 'FunctionExpression') return undefined;
  const found = comparison(body, parameter);
  return found === undefined ? undefined : candidatesFor(found);
}

/** The comparison that must be true for `node` to be true, if one is known. */
function comparison(node: Node, parameter: string): Comparison | undefined {
  if (node.type === 'LogicalExpression' && node.operator === '&&') return comparison(node.left as Node, parameter);
  if (node.type !== 'BinaryExpression' || node.operator !== '===') return undefined;
  const left = node.left as Node;
  const right = node.right as Node;
  const text = stringOf(right) ?? stringOf(left);
  if (text === undefined) return undefined;
  const reads = chain(stringOf(right) !== undefined ? left : right, parameter);
  return reads === undefined ? undefined : { text, throwsOnNull: reads };
}

/** The value of a string literal (or of a template without expressions); undefined for any other node. */
function stringOf(node: Node): string | undefined {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && (node.expressions as Node[]).length === 0) {
    const cooked = ((node.quasis as Node[])[0].value as { cooked: string | null }).cooked;
    return cooked ?? undefined;
  }
  return undefined;
}

/**
 * For a chain of property reads from the parameter that can neither throw
 * but on null nor read a character of a string: whether its first read throws
 * on null (true) or is optional (false). Undefined for anything else.
 */
function chain(node: Node, parameter: string): boolean | undefined {
  let at = node.type === 'ChainExpression' ? (node.expression as Node) : node;
  const reads: Node[] = [];
  while (at.type === 'MemberExpression') {
    reads.unshift(at);
    at = at.object as Node;
  }
  if (at.type !== 'Identifier' || at.name !== parameter || reads.length === 0) return undefined;
  for (const [k, read] of reads.entries()) {
    if (!isNamedKey(read)) return undefined;
    if (k > 0 && read.optional !== true) return undefined;
  }
  return reads[0].optional !== true;
}

/** What a parsed JSON value can inherit properties from. */
const PROTOTYPES: object[] = [Object.prototype, Array.prototype, String.prototype, Number.prototype, Boolean.prototype];

/** x.name, or x["name"], with a key that is not an index and that no JSON value inherits. */
function isNamedKey(read: Node): boolean {
  const key = read.property as Node;
  let name: string | undefined;
  if (!read.computed) name = key.type === 'Identifier' ? (key.name as string) : undefined;
  else name = stringOf(key);
  if (name === undefined || /^(0|[1-9][0-9]*)$/.test(name)) return false;
  return !PROTOTYPES.some((prototype) => name in prototype);
}

/** The byte strings and first bytes of a line that can hold a JSON string equal to `text`. */
function candidatesFor({ text, throwsOnNull }: Comparison): LineCandidates | undefined {
  // Bytes that are not UTF-8 are read as U+FFFD: any line could then hold it.
  if (text.includes('\ufffd')) return undefined;
  const written = Buffer.from(JSON.stringify(text), 'utf8');
  // JSON may spell any character as \uXXXX; " \ / and the controls have short escapes too.
  // eslint-disable-next-line no-control-regex
  const escape = Buffer.from(/["\\/\u0000-\u001f]/.test(text) ? '\\' : '\\u', 'utf8');
  return { holding: [written, escape], startingWith: throwsOnNull ? MAY_BE_NULL : [] };
}
