// Portable functions: source text whose only free names are standard globals
// crosses; anything that closes over this thread is refused, naming the free
// name, the function and the process.
import { describe, expect, it } from 'vitest';
import { NotPortableError, STANDARD_GLOBALS, checkPortable } from '../../transport/portable.js';

const PROCESS = "map#3 'f'";

function refusal(f: ((...args: never[]) => unknown) | string): NotPortableError {
  try {
    checkPortable(f, PROCESS);
  } catch (e) {
    if (e instanceof NotPortableError) return e;
    throw e;
  }
  throw new Error(`accepted: ${String(f)}`);
}

/** The source text, evaluated on its own: what another host would run. */
function revive(source: string): (...args: unknown[]) => unknown {
  return new Function(`return (${source}\n)`)() as (...args: unknown[]) => unknown;
}

describe('portable functions', () => {
  const portable: [string, (...args: never[]) => unknown, unknown[], unknown][] = [
    ['an arrow over its parameter', (x: number) => x * 2, [21], 42],
    ['standard globals', (x: number) => Math.max(x, Number.parseInt('7', 10)) + JSON.stringify([x]).length, [1], 10],
    ['destructured parameters with defaults among themselves', ({ a, b = a }: { a: number; b?: number }, [c, ...rest]: number[] = [1, 2]) => a + b + c + rest.length, [{ a: 2 }], 6],
    ['nested functions and hoisting', (x: number) => {
      function twice(y: number): number { return inc(inc(y)); }
      function inc(y: number): number { return y + 1; }
      return twice(x);
    }, [1], 3],
    ['shadowing a standard global with a local', (x: number) => { const Math = { max: () => -1 }; return Math.max() + x; }, [1], 0],
    ['its own arguments, in a function', function (this: void, ...xs: number[]) { return arguments.length + xs.length; }, [1, 2], 4],
    ['this inside a nested class and function', (x: number) => {
      class Box { v = x; get() { return this.v; } }
      const o = { v: 2, f() { return this.v; } };
      return new Box().get() + o.f() + (function (this: { v: number }) { return this.v; }).call({ v: 3 });
    }, [1], 6],
    ['a class with extends, super and static block', (x: number) => {
      class A { n() { return 1; } }
      class B extends A { static k = 2; static { B.k += 1; } override n() { return super.n() + B.k; } }
      return new B().n() + x;
    }, [0], 4],
    ['async functions', async (x: number) => (await Promise.resolve(x)) + 1, [1], undefined],
    ['generator functions', function* (n: number) { for (let i = 0; i < n; i++) yield i; }, [3], undefined],
    ['loops, labels, catch and switch', (xs: number[]) => {
      let t = 0;
      outer: for (const x of xs) {
        for (let i = 0; i < x; i++) { if (i > 5) continue outer; t += i; }
      }
      try { throw new Error('e'); } catch ({ message }: any) { // eslint-disable-line @typescript-eslint/no-explicit-any -- a catch clause's binding is any or unknown
         t += message.length; }
      switch (t) { case 0: { const z = 1; t = z; break; } default: var late = 1; t += late; } // eslint-disable-line no-var -- a hoisted var is part of the language the check accepts
      return t;
    }, [[2, 3]], 6],
    ['a named function expression calling itself', function fact(n: number): number { return n <= 1 ? 1 : n * fact(n - 1); }, [5], 120],
    ['regular expressions, templates, spread and optional chaining', (s: string) => `${/a+/.exec(s)?.[0] ?? ''}${[...'xy'].length}`, ['baaac'], 'aaa2'],
  ];
  for (const [name, f, args, result] of portable) {
    it(`accepts ${name}, and the text runs the same elsewhere`, () => {
      const { source } = checkPortable(f, PROCESS);
      const revived = revive(source);
      if (result !== undefined) expect(revived(...args)).toEqual(result);
      else expect(typeof revived).toBe('function');
    });
  }

  it('accepts a method written as f(x) { }, normalised to a function expression', () => {
    expect(checkPortable('scale(x) { return x * 3; }', PROCESS).source).toBe('function (x) { return x * 3; }');
    expect(checkPortable('async later(x) { return x; }', PROCESS).source).toBe('async function (x) { return x; }');
    expect(checkPortable('*each(n) { yield n; }', PROCESS).source).toBe('function* (n) { yield n; }');
    expect(checkPortable("'odd name'(x) { return x; }", PROCESS).source).toBe('function (x) { return x; }');
    const o = { scale(x: number) { return x * 3; } };
    expect(revive(checkPortable(o.scale, PROCESS).source)(2)).toBe(6);
  });

  const threshold = 10;
  const refused: [string, (...args: never[]) => unknown | string, string | undefined, RegExp][] = [
    ['a closure over an outer variable', (x: number) => x > threshold, 'threshold', /uses `threshold` \(line 1, column \d+\), a name from outside the function/],
    ['a default parameter naming an outer variable', (x: number, limit = threshold) => x > limit, 'threshold', /threshold/],
    ['an outer name inside a nested function', (x: number) => [x].map(function (y) { return y + threshold; }), 'threshold', /threshold/],
    ['an outer name in a destructuring default', ({ a = threshold }: { a?: number }) => a, 'threshold', /threshold/],
    ['an outer name in a class body', () => class { v = threshold; }, 'threshold', /threshold/],
    ['assignment to an outer variable', (x: number) => { leak = x; }, 'leak', /leak/],
    ['process', () => process.exit(1), 'process', /`process`/],
    ['require', () => require('fs'), 'require', /`require`/], // eslint-disable-line @typescript-eslint/no-require-imports -- the check must refuse it
    ['globalThis', () => globalThis, 'globalThis', /`globalThis`/],
    ['Function', () => Function('return 1')(), 'Function', /`Function`/],
    ['eval', (s: string) => eval(s), 'eval', /`eval`/], // eslint-disable-line no-eval -- the check must refuse it
    ['console (a host object, not the language)', (x: unknown) => console.log(x), 'console', /`console`/],
    ['typeof of an outer name', () => typeof threshold, 'threshold', /threshold/],
  ];
  for (const [name, f, freeName, message] of refused) {
    it(`refuses ${name}, naming it, the function and the process`, () => {
      const e = refusal(f as (...args: never[]) => unknown);
      expect(e.freeName).toBe(freeName);
      expect(e.process).toBe(PROCESS);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`${PROCESS}: the function \``)).toBe(true);
      expect(e.message).toContain(e.excerpt);
      expect(e.excerpt.length).toBeLessThanOrEqual(60);
    });
  }

  const refusedText: [string, string, RegExp][] = [
    ['this at the top of an arrow', 'x => this.k + x', /`this`/],
    ["arguments in a top-level arrow (the enclosing function's)", '() => arguments[0]', /`arguments`/],
    ['this at the top of a function', 'function (x) { return this.k + x; }', /`this`/],
    ['super at the top of a method', 'f() { return super.f(); }', /`super`/],
    ['with', 'function (o) { with (o) { return a; } }', /`with`/],
    ['import()', 'async () => import("fs")', /import\(\)/],
    ['a class', 'class A {}', /a class is not a function/],
    ['two statements smuggled after the function', 'x => x); process.exit((1', /not the source of one function/],
    ['not a function', '1 + 2', /not the source of one function/],
    ['a getter', 'get x() { return 1; }', /getter is not a function/],
    ['a computed method name', '[k]() { return 1; }', /computed name/],
  ];
  for (const [name, source, message] of refusedText) {
    it(`refuses ${name}`, () => {
      const e = refusal(source);
      expect(e.message).toMatch(message);
    });
  }

  it('refuses native and bound functions', () => {
    expect(refusal(Math.max).message).toMatch(/native function has no source text/);
    expect(refusal(((x: number) => x).bind(null)).message).toMatch(/bound function/);
  });

  it('reports where in a longer function the free name is', () => {
    const e = refusal('(x) => {\n  const y = x + 1;\n  return y * factor;\n}');
    expect(e.freeName).toBe('factor');
    expect(e.message).toContain('line 3, column 14');
  });

  it('keeps the allowlist to the language: no process, require, globalThis, Function, eval', () => {
    for (const name of ['process', 'require', 'globalThis', 'Function', 'eval', 'import', 'module', 'global', 'setTimeout', 'console']) {
      expect(STANDARD_GLOBALS.has(name), name).toBe(false);
    }
  });
});

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- only assigned, by a function the check must refuse
declare let leak: number;
