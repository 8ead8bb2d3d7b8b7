// A compiled entry: one (process, spec, admittance|flow) with the function that
// fuses everything reachable from it. It registers with every process it
// inlined; a topology change on any of them marks it stale, and a stale entry
// recompiles on its next call. A flow already running keeps the function it
// started with, so a rewire takes effect at the next entry, never mid-flow.
import type { EntryKind } from '../engine/hooks.js';
import type { Process } from '../engine/process.js';
import type { Spec } from '../engine/spec.js';
import type { Slot } from '../codegen/code.js';
import { compileEntry } from './compile.js';
import { adopt, unregister, watch } from './entries.js';
import { stats } from './stats.js';

export type { EntryKind };

// The engine hands entries on without looking inside (engine/hooks.ts): this
// tells it their type, wherever this module is part of the program.
type EntryClass = Entry;
declare module '../engine/hooks.js' {
  interface Subsystems {
    entry: EntryClass;
  }
}
/**
 * Admittance: (n) => admitted magnitude. Flow: (xs, offset, n, stable?) => n.
 *
 * `stable === true` on a write is the writer's promise that xs[offset,
 * offset + n) will not change, nor the array be reused, for as long as the
 * processes it was written to keep those elements: a zip may then keep a
 * window on the chunk instead of copying it. Anything else (the default) means
 * the chunk may change as soon as the call returns, so whoever keeps elements
 * copies them. Only a writer that owns that guarantee passes true: an array
 * source over an array it never writes does; a socket, `Port.write` or a
 * reused buffer does not.
 */
export type EntryFunction = (a: any, b?: any, c?: any, d?: any) => number; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CompiledChain {
  /** The shape's id; chains of one shape share it. */
  shape: number;
  name: string;
  source: string;
  slots: readonly Slot[];
}

/**
 * Set while a tool watches the engine (the inspector counts chunks): called
 * once per compile with the new function, it returns the function to install.
 * Undefined otherwise, so compiled functions run unwrapped.
 */
export const entryHooks: { compiled: ((entry: Entry, fn: EntryFunction) => EntryFunction) | undefined } = { compiled: undefined };

let nextEntryId = 1;
const NONE: readonly Process[] = [];

/**
 * Interpreted flows in progress. In fused mode one flow is one function, so a
 * rewire made during it (by a user function) cannot change it. The interpreter
 * calls one entry per process, so while any of its flows runs, entries are
 * marked stale only when the outermost flow returns: the rest of the flow runs
 * on the topology it started with, and the rewire takes effect at the next
 * entry, as in fused mode.
 */
let interpretedFlows = 0;
let deferred: Entry[] = [];

/** An interpreted flow function: counts itself in, and marks stale what a rewire during it touched once the outermost returns. */
export function interpreted(fn: EntryFunction): EntryFunction {
  return (a, b, c, d) => {
    interpretedFlows++;
    try {
      return fn(a, b, c, d);
    } finally {
      if (--interpretedFlows === 0 && deferred.length > 0) {
        const stale = deferred;
        deferred = [];
        for (const e of stale) {
          e.deferred = false;
          e.invalidate();
        }
      }
    }
  };
}

export class Entry {
  readonly id = nextEntryId++;
  fn: EntryFunction;
  stale = true;
  compiles = 0;
  chain?: CompiledChain;
  /** Processes this entry registered with, to unregister on recompile. */
  registeredWith: readonly Process[] = NONE;
  readonly ref = new WeakRef(this);

  /** `fn` while stale: compiles, then runs. Made once, since an entry may be marked stale many times. */
  private readonly bounce: EntryFunction = (a, b, c, d) => this.ready()(a, b, c, d);

  constructor(
    readonly start: Process,
    readonly spec: Spec,
    readonly kind: EntryKind,
  ) {
    this.fn = this.bounce;
  }

  /** @internal Waits to be marked stale until the interpreted flow in progress returns. */
  deferred = false;

  /** Marks the entry stale; counted once per change that reaches a fresh entry. */
  invalidate(): void {
    if (this.stale) return;
    if (interpretedFlows > 0 && !this.start.io.fuse) {
      if (!this.deferred) {
        this.deferred = true;
        deferred.push(this);
      }
      return;
    }
    this.stale = true;
    this.fn = this.bounce;
    stats.invalidations++;
  }

  /**
   * Called by a function specialised for a state field's type when the field no
   * longer has that type: compile for the new type (a shape-cache hit after the
   * first time) and run the flow with it. Not a topology change, so not counted
   * as an invalidation.
   */
  get retype(): EntryFunction {
    return (this.retyper ??= (a, b, c, d) => {
      this.stale = true;
      stats.retypes++;
      return this.ready()(a, b, c, d);
    });
  }

  private retyper?: EntryFunction;

  /**
   * Its start left the container: lets go of every process it registered with
   * (they no longer keep it, nor it them), and compiles again if it is ever
   * called. Not an invalidation: no topology changed that it still follows.
   */
  release(): void {
    for (const p of this.registeredWith) unregister(p, this);
    this.registeredWith = NONE;
    this.stale = true;
    this.fn = this.bounce;
  }

  /** Compiles now if stale; returns the current function. */
  ready(): EntryFunction {
    if (this.stale) this.compile();
    return this.fn;
  }

  private compile(): void {
    for (const p of this.registeredWith) unregister(p, this);
    this.registeredWith = NONE;
    if (this.compiles > 0) stats.recompiles++;
    const { fn, chain, inlined, watched } = compileEntry(this);
    this.compiles++;
    this.chain = chain;
    this.fn = entryHooks.compiled === undefined ? fn : entryHooks.compiled(this, fn);
    this.stale = false;
    // Who keeps the entry alive: a write entry is kept by the processes downstream
    // of its start, so a pinned source (stdin) does not pin a chain nobody uses; a
    // read entry (or one that inlined nothing else) by its start.
    const byStart = this.spec.direction !== 'write' || inlined.length === 1;
    for (const p of inlined) adopt(p, this, byStart === (p === this.start));
    for (const [k, key] of watched) watch(inlined[k], this, key);
    this.registeredWith = inlined;
  }
}
