// Regression: a sandbox (and any attenuated object) guarded only `get`, so
// every other way of reaching a property went straight to the real object:
// `Object.getOwnPropertyDescriptor(plugin.from(['x']), 'io').value` was the raw
// IO container, which wrote a file. A sandbox is now a membrane: whatever way
// the holder reaches for a value, it gets a wrapped one or a refusal. Each row
// below is one way in; none may yield an engine object or write the file.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { IO, Process } from '../../index.js';
import { attenuate, CapabilityError, Realm, take } from '../../realm/index.js';
import { Chain } from '../../api/chain.js';
import { readOnlyIO, sandbox } from '../../sandbox/sandbox.js';

// Whatever the membrane hands out, called or read further without the type system in the way.
interface Any {
  (...a: unknown[]): Any;
  [k: string | symbol]: Any;
}

/** True for anything that carries the engine's authority unwrapped. */
function raw(v: unknown, io: IO): boolean {
  if (v === io || v === IO || v === Chain || v === Process) return true;
  if (v instanceof IO || v instanceof Chain || v instanceof Process || v instanceof Realm) return true;
  if (Array.isArray(v)) return v.some((x) => raw(x, io));
  return false;
}

/** Tries to write `path` with whatever the attempt produced. */
function tryToWrite(v: unknown, path: string): void {
  const candidates: unknown[] = [v];
  try {
    candidates.push((v as Any).io, (v as Any).source);
  } catch {
    // refused: fine
  }
  for (const c of candidates) {
    try {
      (c as Any & { from: (x: unknown[]) => { toFile: (p: string) => unknown } }).from(['stolen']).toFile(path);
    } catch {
      // refused: fine
    }
    try {
      (c as { toFile: (p: string) => unknown }).toFile(path);
    } catch {
      // refused: fine
    }
  }
}

const attempts: [string, (plugin: Any, path: string) => unknown][] = [
  ["own descriptor of a chain's io", (p) => Object.getOwnPropertyDescriptor((p.from as Any)(['x']), 'io')?.value],
  ["own descriptor of the container's realm", (p) => Object.getOwnPropertyDescriptor(p, 'realm')?.value],
  ['all own descriptors of a chain', (p) => Object.values(Object.getOwnPropertyDescriptors((p.from as Any)(['x']))).map((d) => d.value)],
  ['Reflect.getOwnPropertyDescriptor', (p) => Reflect.getOwnPropertyDescriptor((p.from as Any)(['x']) as object, 'source')?.value],
  ['Reflect.ownKeys then read each', (p) => Reflect.ownKeys(p).map((k) => p[k])],
  ['spread into a record', (p) => Object.values({ ...((p.from as Any)(['x']) as object) })],
  ['constructor', (p) => p.constructor],
  ['constructor of a chain, then new', (p) => new ((p.from as Any)(['x']).constructor as new () => unknown)()],
  ['__proto__', (p) => p.__proto__],
  ['Object.getPrototypeOf', (p) => Object.getPrototypeOf(p)],
  ['Reflect.getPrototypeOf of a method', (p) => Reflect.getPrototypeOf(p.from as object)],
  ['prototype of a method', (p) => (p.from as Any).prototype],
  ['constructor of a method (Function)', (p) => ((p.from as Any).constructor as (s: string) => () => unknown)('return this')()],
  ['__lookupGetter__', (p) => (p.__lookupGetter__ as (n: string) => () => unknown)('realm')],
  ['Function.prototype.call with another this', (p) => Function.prototype.call.call(p.from as Any, {}, ['x'])],
  ['Reflect.apply on a method', (p) => Reflect.apply(p.from as Any, undefined, [['x']])],
  ['new on a method', (p) => Reflect.construct(p.from as Any, [['x']])],
  ['a chain returned in an array (tee)', (p) => ((p.from as Any)(['x']).tee as Any)()],
  ['a process behind a sink', (p) => (((p.from as Any)(['x']).collect as Any)() as Any).process],
  ["a process's realm", (p) => ((((p.from as Any)(['x']).collect as Any)() as Any).process as Any).realm],
  ['a promise of a result', async (p) => await (((p.from as Any)(['x']).collect as Any)() as Any & { completion: () => Promise<unknown> }).completion()],
  ['this inside a callback', async (p) => {
    let seen: unknown;
    const sink = ((p.from as Any)(['x']).each as Any)(function (this: unknown) {
      seen = this;
    }) as unknown as { completion: () => Promise<unknown> };
    await sink.completion();
    return seen;
  }],
  ['an error thrown by a failing step', async (p) => {
    try {
      await ((((p.from as Any)(['x']).map as Any)(() => {
        throw new Error('boom');
      }) as Any).collect as Any)();
      return undefined;
    } catch (e) {
      return [e, (e as Any).cause];
    }
  }],
  ['defineProperty', (p) => Object.defineProperty(p, 'realm', { value: 1 })],
  ['setPrototypeOf', (p) => Object.setPrototypeOf(p, {})],
  ['preventExtensions', (p) => Object.preventExtensions(p)],
  ['delete', (p) => delete p.fuse],
  ['a symbol-keyed property', (p) => p[Symbol.for('nodejs.util.inspect.custom')]],
  ['inspect with showProxy', (p) => inspect(p, { showProxy: true, depth: 5 })],
];

describe('a sandbox is a membrane: every escape attempt is refused or yields a wrapped value', () => {
  for (const [name, attempt] of attempts) {
    test(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pushback-escape-'));
      const path = join(dir, 'stolen.txt');
      const io = new IO();
      const plugin = sandbox(io, readOnlyIO, { name: 'plugin' }) as unknown as Any;
      let got: unknown;
      try {
        got = await attempt(plugin, path);
      } catch (e) {
        got = e;
      }
      expect(raw(got, io)).toBe(false);
      if (typeof got === 'string') expect(got).not.toMatch(/IO \{|Chain \{|Process \{/);
      tryToWrite(got, path);
      expect(existsSync(path)).toBe(false);
    });
  }

  test('what is granted still works: reading, transforming, tee, for await', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushback-escape-'));
    writeFileSync(join(dir, 'in.txt'), 'a\nb\n');
    const plugin = sandbox(new IO(), readOnlyIO, { name: 'plugin' });
    expect(await plugin.file(join(dir, 'in.txt')).lines().map((l: string) => l.toUpperCase()).collect().completion()).toEqual(['A', 'B']);
    const [a, b] = plugin.from([1, 2, 3]).tee();
    const sa = a.collect();
    const sb = b.map((x: number) => x * 2).collect();
    sa.run();
    expect([sa.value, sb.value]).toEqual([[1, 2, 3], [2, 4, 6]]);
    const seen: number[] = [];
    for await (const x of plugin.from([4, 5])) seen.push(x as number);
    expect(seen).toEqual([4, 5]);
  });

  test('refusals name the capability, and reflective names are refused even when the rules grant everything', () => {
    const plugin = sandbox(new IO(), [take('.')], { name: 'plugin' }) as unknown as Any;
    expect(() => plugin.constructor).toThrow("plugin: capability 'constructor' is not granted");
    expect(() => plugin.__proto__).toThrow(CapabilityError);
    expect(() => Reflect.construct(plugin.from as Any, [])).toThrow(CapabilityError);
  });
});

describe('attenuate() is a membrane too', () => {
  class Disk {
    written: string[] = [];
    readonly raw = this;
    read(path: string): string {
      return `contents of ${path}`;
    }
    write(path: string): void {
      this.written.push(path);
    }
    open(path: string): Disk {
      void path;
      return this;
    }
  }

  const ways: [string, (d: Any) => unknown][] = [
    ['own descriptor of a field', (d) => Object.getOwnPropertyDescriptor(d, 'raw')?.value],
    ['descriptor of an ungranted method', (d) => (Object.getOwnPropertyDescriptor(d, 'write')?.value as Any)?.('/x')],
    ['prototype method through the prototype', (d) => ((Object.getPrototypeOf(d) as Disk | null)?.write as Any)?.call(d, '/x')],
    ['constructor', (d) => new (d.constructor as new () => Disk)().write('/x')],
    ['a returned object', (d) => ((d.open as Any)('/x') as Any).write('/x')],
    ['a returned object, by descriptor', (d) => Object.getOwnPropertyDescriptor((d.open as Any)('/x') as object, 'raw')?.value],
  ];
  for (const [name, way] of ways) {
    test(name, () => {
      const disk = new Disk();
      const view = attenuate(disk, [take('.read'), take('.open')], { name: 'disk' }) as unknown as Any;
      let got: unknown;
      try {
        got = way(view);
      } catch (e) {
        got = e;
      }
      expect(got).not.toBe(disk);
      expect(got instanceof Disk).toBe(false);
      expect(disk.written).toEqual([]);
      expect((view.read as Any)('/a')).toBe('contents of /a');
    });
  }

  test('a bare function cannot be attenuated: it has no method names to decide on', () => {
    expect(() => attenuate((() => 'raw') as unknown as object, [take('.call')])).toThrow(/wrap a function as \{ call: f \}/);
    const view = attenuate({ call: () => 'granted' }, [take('.call')]);
    expect(view.call()).toBe('granted');
  });
});
