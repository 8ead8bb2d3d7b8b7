// User expressions (`map EXPR`, `filter EXPR`): parsed with acorn first, so
// that the text is exactly one JavaScript expression and a mistake is reported
// with its column, then compiled with `new Function` into an ordinary function
// that the stage's process receives as a parameter. The text never becomes
// part of the fused chain source. Loaded only when a pipeline has expressions.
import { parseExpressionAt, tokenizer } from 'acorn';
import { describe } from '../engine/policy.js';
import { UsageError } from './args.js';

/**
 * Compiles a user expression into a function: `x => ...` (or any function
 * expression) as it is, anything else as the body of `x => (...)`.
 */
export function compileExpression(source: string, stage: string): (...args: unknown[]) => unknown {
  let node: { type: string; end: number };
  try {
    node = parseExpressionAt(source, 0, { ecmaVersion: 'latest' }) as { type: string; end: number };
  } catch (error) {
    const e = error as { message: string; pos?: number };
    throw new UsageError(`${stage}: cannot parse ${JSON.stringify(source)}: ${e.message.replace(/ \(\d+:\d+\)$/, '')} at column ${(e.pos ?? 0) + 1}`);
  }
  if (!onlyComments(source.slice(node.end))) {
    throw new UsageError(`${stage}: unexpected ${JSON.stringify(source.slice(node.end).trim())} after the expression at column ${node.end + 1} of ${JSON.stringify(source)}`);
  }
  const isFunction = node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression';
  let f: unknown;
  try {
    // The newline keeps a trailing // comment from swallowing the parenthesis.
    f = isFunction ? new Function(`"use strict";\nreturn (${source}\n);`)() : new Function('x', `"use strict";\nreturn (${source}\n);`);
  } catch (error) {
    throw new UsageError(`${stage}: ${describe(error)} in ${JSON.stringify(source)}`);
  }
  if (typeof f !== 'function') throw new UsageError(`${stage}: ${JSON.stringify(source)} is not a function`);
  return f as (...args: unknown[]) => unknown;
}

/** True when text holds nothing but white space and comments. */
function onlyComments(text: string): boolean {
  try {
    return tokenizer(text, { ecmaVersion: 'latest' }).getToken().type.label === 'eof';
  } catch {
    return false;
  }
}
