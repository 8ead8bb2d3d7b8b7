/**
 * A membrane: the one boundary between an object with authority (the IO
 * container, any object given to `attenuate`) and the code that holds an
 * attenuated view of it. Everything that crosses it is wrapped on the way:
 *
 *   out (to the holder)   engine objects become proxies governed by the same
 *                         rules; functions become callable proxies; arrays,
 *                         records and errors are copied with their contents
 *                         wrapped; promises resolve to wrapped values;
 *                         primitives, bytes, dates and regular expressions
 *                         pass as they are
 *   in (from the holder)  our proxies are unwrapped to what they stand for;
 *                         the holder's functions (callbacks) are wrapped, so
 *                         whatever the engine passes them comes out wrapped;
 *                         arrays and records are copied only if they hold
 *                         either
 *
 * Why every trap: a Proxy forwards every operation it has no trap for to its
 * target, so a proxy that only guards `get` hands out the raw object through
 * `Object.getOwnPropertyDescriptor`, `Reflect.ownKeys`, `Object.getPrototypeOf`
 * and friends. The proxies here stand on an empty shadow instead of the real
 * object, so an operation without a trap sees nothing, and each trap answers
 * from the real object through the rules:
 *
 *   get, getOwnPropertyDescriptor   a method comes back as a callable proxy
 *                                   (the call is decided when it is made, on
 *                                   its arguments); any other property is
 *                                   decided as the call `.name()` first, then
 *                                   read and wrapped
 *   has                             the names the object has (never the
 *                                   reflective ones below)
 *   ownKeys                         nothing: an attenuated object is a set of
 *                                   capabilities, not a record to walk
 *   getPrototypeOf                  null: no class, no prototype, no constructor
 *   apply                           a method runs on the real object whatever
 *                                   `this` the holder passes
 *   construct, set, defineProperty, deleteProperty, setPrototypeOf,
 *   preventExtensions               refused with a CapabilityError
 *
 * The reflective names (`constructor`, `__proto__`, `prototype`, the
 * `__lookupGetter__` family) are refused whatever the rules say: through
 * them a holder would reach the class and make an object of its own, with
 * no rules at all.
 *
 * The holder's own objects (anything but functions, arrays and records) go
 * in as they are: the engine reads them (a stream, an async iterable) and
 * what it passes to their methods is its own business. A membrane attenuates
 * what the code is handed; it cannot take away what the code can import.
 */
import { CapabilityError } from './errors.js';
import type { Tuple } from './pattern.js';

export interface MembraneOptions {
  /** Names the holder in refusals: "plugin: capability 'toFile' is not granted". */
  readonly holder: string;
  /** Decides the call `.name(args)`: the call to make instead (perhaps rewritten), or throws a CapabilityError. */
  readonly decide: (name: string, args: readonly unknown[]) => Tuple;
  /** Methods `target` has besides its own, decided like them (the IO container's sockets). */
  readonly extras?: (target: object) => Readonly<Record<string, (...args: never[]) => unknown>> | undefined;
}

/** Names refused whatever the rules grant: the way to a class, a prototype, a raw getter. */
const REFLECTIVE: ReadonlySet<string> = new Set([
  'constructor',
  'prototype',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'caller',
  'callee',
  'arguments',
]);

/** Every proxy any membrane made, with its holder's name (to name the holder of a view of a view). */
const made = new WeakMap<object, string>();

/** The holder's name if `v` is a proxy of some membrane. */
export function membraneHolder(v: unknown): string | undefined {
  return (typeof v === 'object' || typeof v === 'function') && v !== null ? made.get(v) : undefined;
}

type Method = (...args: unknown[]) => unknown;
type Found = { kind: 'method'; fn: Method } | { kind: 'value' } | undefined;

export class Membrane {
  readonly #options: MembraneOptions;
  /** Real object → its proxy (one proxy per object, so identity holds on the holder's side). */
  readonly #proxies = new WeakMap<object, object>();
  /** Proxy → the real object it stands for. */
  readonly #targets = new WeakMap<object, object>();
  /** The holder's function → the engine-side wrapper, and back. */
  readonly #inward = new WeakMap<object, Method>();
  readonly #outward = new WeakMap<object, object>();

  constructor(options: MembraneOptions) {
    this.#options = options;
  }

  /** A value on its way to the holder. */
  out(v: unknown, copies?: Map<object, unknown>): unknown {
    if (typeof v !== 'object' && typeof v !== 'function') return v;
    if (v === null) return v;
    const own = this.#outward.get(v);
    if (own !== undefined) return own;
    const proxy = this.#proxies.get(v);
    if (proxy !== undefined) return proxy;
    if (typeof v === 'function') return this.#proxy(v, this.#functionHandler(v as Method));
    // A view made by another membrane (a view of a view) is a capability, however it looks.
    if (made.has(v)) return this.#proxy(v, this.#objectHandler(v));
    if (v instanceof Promise) {
      return v.then(
        (x) => this.out(x),
        (e) => {
          throw this.out(e);
        },
      );
    }
    if (passive(v)) return v;
    const seen = copies ?? new Map<object, unknown>();
    const done = seen.get(v);
    if (done !== undefined) return done;
    if (Array.isArray(v)) {
      const copy: unknown[] = new Array(v.length);
      seen.set(v, copy);
      for (let i = 0; i < v.length; i++) copy[i] = this.out(v[i], seen);
      return copy;
    }
    if (v instanceof Error) {
      const copy = Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>;
      seen.set(v, copy);
      for (const key of Object.getOwnPropertyNames(v)) {
        copy[key] = this.out((v as unknown as Record<string, unknown>)[key], seen);
      }
      return copy;
    }
    if (isRecord(v) && !Object.values(v).some((x) => typeof x === 'function')) {
      const copy: Record<string, unknown> = {};
      seen.set(v, copy);
      for (const key of Object.keys(v)) copy[key] = this.out(v[key], seen);
      return copy;
    }
    return this.#proxy(v, this.#objectHandler(v));
  }

  /** A value on its way in, from the holder. */
  in(v: unknown, copies?: Map<object, unknown>): unknown {
    if (typeof v !== 'object' && typeof v !== 'function') return v;
    if (v === null) return v;
    const target = this.#targets.get(v);
    if (target !== undefined) return target;
    if (typeof v === 'function') return this.#inwardFunction(v as Method);
    const seen = copies ?? new Map<object, unknown>();
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      seen.set(v, v);
      let copy: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const y = this.in(x, seen);
        if (y !== x && copy === undefined) copy = v.slice(0, i);
        if (copy !== undefined) copy.push(y);
      }
      if (copy === undefined) return v;
      seen.set(v, copy);
      return copy;
    }
    if (isRecord(v)) {
      seen.set(v, v);
      let copy: Record<string, unknown> | undefined;
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        const x = v[keys[i]];
        const y = this.in(x, seen);
        if (y !== x && copy === undefined) {
          copy = {};
          for (let j = 0; j < i; j++) copy[keys[j]] = v[keys[j]];
        }
        if (copy !== undefined) copy[keys[i]] = y;
      }
      if (copy === undefined) return v;
      seen.set(v, copy);
      return copy;
    }
    return v;
  }

  #proxy(target: object, handler: ProxyHandler<object>): object {
    // The shadow: a fresh empty target, so that nothing reaches the real one
    // except through a trap. A bound function is callable and constructible
    // (so `construct` reaches its trap) and has no non-configurable property
    // the invariants would pin.
    const shadow: object = typeof target === 'function' ? function shadow() {}.bind(null) : Object.create(null);
    const proxy = new Proxy(shadow, handler);
    this.#proxies.set(target, proxy);
    this.#targets.set(proxy, target);
    made.set(proxy, this.#options.holder);
    return proxy;
  }

  #refuse(what: string): never {
    throw new CapabilityError(this.#options.holder, what);
  }

  /** What `name` is on `obj`: a method, another property, or nothing. Runs no getter. */
  #find(obj: object, name: string): Found {
    const extra = this.#options.extras?.(obj);
    if (extra !== undefined && Object.hasOwn(extra, name)) return { kind: 'method', fn: extra[name] as Method };
    const key = keyOf(name);
    if (made.has(obj)) {
      // A view of a view: ask the inner proxy, which decides by its own rules.
      if (!(key in obj)) return undefined;
      const value: unknown = (obj as Record<string | symbol, unknown>)[key];
      return typeof value === 'function' ? { kind: 'method', fn: value as Method } : { kind: 'value' };
    }
    for (let at: object | null = obj; at !== null; at = Object.getPrototypeOf(at) as object | null) {
      const d = Object.getOwnPropertyDescriptor(at, key);
      if (d === undefined) continue;
      if ('value' in d && typeof d.value === 'function') return { kind: 'method', fn: d.value as Method };
      return { kind: 'value' };
    }
    return undefined;
  }

  #name(prop: string | symbol): string | undefined {
    if (typeof prop === 'string') return prop;
    return prop === Symbol.asyncIterator ? 'asyncIterator' : undefined;
  }

  #read(obj: object, prop: string | symbol): unknown {
    const name = this.#name(prop);
    if (name === undefined) return undefined;
    if (REFLECTIVE.has(name)) this.#refuse(name);
    const found = this.#find(obj, name);
    if (found === undefined) return undefined;
    if (found.kind === 'method') return this.#method(obj, name);
    const granted = this.#options.decide(name, []);
    if (granted.topic !== name) {
      if (REFLECTIVE.has(granted.topic)) this.#refuse(granted.topic);
      return this.out(Reflect.get(obj, keyOf(granted.topic), obj));
    }
    return this.out(Reflect.get(obj, keyOf(name), obj));
  }

  /** The method `name` of `obj` as the holder sees it: each call is decided on its arguments. */
  #method(obj: object, name: string): Method {
    const holder = this.#options.holder;
    const call = (args: readonly unknown[]): unknown => {
      const decided = this.#options.decide(name, args);
      if (REFLECTIVE.has(decided.topic)) this.#refuse(decided.topic);
      const found = this.#find(obj, decided.topic);
      if (found?.kind !== 'method') throw new CapabilityError(holder, decided.topic);
      return this.#call(found.fn, obj, decided.args.map((a) => this.in(a)));
    };
    const shadow = function shadow() {}.bind(null);
    const proxy = new Proxy(shadow, {
      ...this.#opaque(),
      apply: (_shadow, _this, args: unknown[]) => call(args),
      construct: () => this.#refuse(`new ${name}`),
    });
    made.set(proxy, holder);
    return proxy as Method;
  }

  /** Calls `fn` on the engine side; what comes back, or is thrown, goes out wrapped. */
  #call(fn: Method, self: unknown, args: unknown[]): unknown {
    let result: unknown;
    try {
      result = Reflect.apply(fn, self, args);
    } catch (error) {
      throw this.out(error);
    }
    return this.out(result);
  }

  /** Traps shared by every proxy: nothing to list, no prototype, no writes. */
  #opaque(): ProxyHandler<object> {
    return {
      get: () => undefined,
      getOwnPropertyDescriptor: () => undefined,
      has: () => false,
      ownKeys: () => [],
      getPrototypeOf: () => null,
      setPrototypeOf: () => this.#refuse('setPrototypeOf'),
      set: (_shadow, prop) => this.#refuse(`set ${String(prop)}`),
      defineProperty: (_shadow, prop) => this.#refuse(`define ${String(prop)}`),
      deleteProperty: (_shadow, prop) => this.#refuse(`delete ${String(prop)}`),
      preventExtensions: () => this.#refuse('preventExtensions'),
      isExtensible: () => true,
    };
  }

  #objectHandler(obj: object): ProxyHandler<object> {
    return {
      ...this.#opaque(),
      get: (_shadow, prop) => this.#read(obj, prop),
      getOwnPropertyDescriptor: (_shadow, prop) => {
        const name = this.#name(prop);
        if (name === undefined) return undefined;
        const extra = this.#options.extras?.(obj);
        const own = made.has(obj) ? name in obj : Object.hasOwn(obj, name) || (extra !== undefined && Object.hasOwn(extra, name));
        if (!own && !REFLECTIVE.has(name)) return undefined;
        return { value: this.#read(obj, prop), writable: false, enumerable: true, configurable: true };
      },
      has: (_shadow, prop) => {
        const name = this.#name(prop);
        if (name === undefined || REFLECTIVE.has(name)) return false;
        return this.#find(obj, name) !== undefined;
      },
      apply: () => this.#refuse('call'),
      construct: () => this.#refuse('new'),
    };
  }

  /** A function handed out by a granted call (not a method): callable, nothing else. */
  #functionHandler(fn: Method): ProxyHandler<object> {
    return {
      ...this.#opaque(),
      apply: (_shadow, self, args: unknown[]) => this.#call(fn, this.in(self), args.map((a) => this.in(a))),
      construct: () => this.#refuse(`new ${fn.name || 'function'}`),
    };
  }

  /** The holder's function as the engine calls it: arguments go out wrapped, the result comes in. */
  #inwardFunction(fn: Method): Method {
    const known = this.#inward.get(fn);
    if (known !== undefined) return known;
    const membrane = this;
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      for (let i = 0; i < args.length; i++) args[i] = membrane.out(args[i]);
      let result: unknown;
      try {
        result = Reflect.apply(fn, membrane.out(this), args);
      } catch (error) {
        throw membrane.in(error);
      }
      return membrane.in(result);
    };
    Object.defineProperty(wrapper, 'length', { value: fn.length });
    this.#inward.set(fn, wrapper);
    this.#outward.set(wrapper, fn);
    return wrapper;
  }
}

/** The property key a capability name stands for: `asyncIterator` is the well-known symbol (`for await`). */
function keyOf(name: string): string | symbol {
  return name === 'asyncIterator' ? Symbol.asyncIterator : name;
}

/** Values with no authority in them: they pass as they are. */
function passive(v: object): boolean {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp;
}

function isRecord(v: object): v is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
