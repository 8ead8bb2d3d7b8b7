// The IO container: owns processes, hands out the lowest free object id, and
// decides what stays alive.
//
// The container refers to its processes weakly. A process stays alive only if
// it is (1) a core service, (2) a pinned side effect (each, a sink) until
// unpinned, or (3) a dependency of a live process: every process holds its
// inputs strongly. When a process is collected its id is freed and the far
// ends of its ports are disconnected.
//
// Watching a process weakly (a WeakRef and a finalizer) is not free, and most
// of a server's per-connection processes never need it: they leave by
// `remove` while something else holds them anyway. So a new process is held
// strongly until the current job's microtasks have run (a WeakRef keeps its
// target that long too, so nothing can tell the difference), and only those
// still in the container then are watched weakly. A process that an outside
// resource keeps alive anyway (a socket process, through its socket's
// listeners) is held strongly with `hold` until `letGo`, and watched weakly
// only if it is still in the container then.
import { HostId, objectId, objectIndex, objectOf, hostIndex, splitAddress, type ObjectId } from './address.js';
import type { Process } from './process.js';
import { realmHooks, type Realm } from './hooks.js';
import { reclaimed } from './ports.js';

export interface IOOptions {
  /** This container's host id, in its final position (low 44 bits zero). */
  host?: HostId;
  /** false: every process is compiled alone and called through its entry (the interpreter). */
  fuse?: boolean;
  /**
   * true: refuse, with a CompileError that says what to add, the topologies the
   * engine would otherwise mend itself (the over-commit trap: branches of a copy
   * that meet on one port get a one-flow buffer each; see docs/multiport.md).
   */
  strict?: boolean;
  /** Resolves addresses on other hosts (networked realms). */
  remote?: (address: bigint) => Process | undefined;
  /** The realm its processes live in by default (see `realm`); a World of its own if not given. */
  realm?: Realm;
}

interface Remains {
  index: number;
  ports: number[];
}

export class IO {
  readonly host: HostId;
  readonly fuse: boolean;
  readonly strict: boolean;
  private readonly remote?: (address: bigint) => Process | undefined;
  /** By object index: a WeakRef, or the process itself while held strongly (new, or held by `hold`). */
  private readonly refs: (WeakRef<Process> | Process | undefined)[] = [undefined];
  /** Processes added in this job, to be watched weakly once its microtasks have run (unless removed or held by then). */
  private nursery: Process[] = [];
  private readonly freeIds = new MinHeap();
  private readonly pinned = new Set<Process>();
  private readonly services = new Map<string, Process>();
  private live = 0;
  private readonly collected = new FinalizationRegistry<Remains>((remains) => this.reclaim(remains));
  private rootRealm?: Realm;
  /**
   * @internal The port lifecycle's table for this container (ports.ts), opaque
   * here. A field rather than a WeakMap keyed by the container: the lifecycle
   * looks it up several times per connect, move and remove.
   */
  portTable: unknown = undefined;

  constructor(options: IOOptions = {}) {
    this.host = options.host ?? 0n;
    this.fuse = options.fuse ?? true;
    this.strict = options.strict ?? false;
    this.remote = options.remote;
    if (options.realm !== undefined) this.rootRealm = realmHooks().root(this, options.realm);
  }

  /**
   * The root realm of the container: processes live in it unless created in
   * another realm; their errors are signalled and their port states
   * proclaimed there (see docs/realms.md). Made on first use.
   */
  get realm(): Realm {
    return (this.rootRealm ??= realmHooks().root(this, undefined));
  }

  /** The live processes of the container (for the realm integration and tools). */
  *processes(): IterableIterator<Process> {
    for (const ref of this.refs) {
      const p = ref instanceof WeakRef ? ref.deref() : ref;
      if (p !== undefined) yield p;
    }
  }

  /** Registers a new process and returns its object id (the lowest free one). */
  add(process: Process): ObjectId {
    const index = this.freeIds.size > 0 ? this.freeIds.pop() : this.refs.length;
    const id = objectId(index);
    this.refs[index] = process;
    process.inContainer = true;
    this.live++;
    if (this.nursery.length === 0) queueMicrotask(this.watchNew);
    this.nursery.push(process);
    return id;
  }

  /** Watches weakly the processes added in the job that has ended, if still here and not held. */
  private readonly watchNew = (): void => {
    const added = this.nursery;
    this.nursery = [];
    for (const p of added) if (p.inContainer && !p.heldByContainer) this.watch(p);
  };

  private watch(process: Process): void {
    const index = objectIndex(process.id);
    this.refs[index] = new WeakRef(process);
    this.collected.register(process, { index, ports: process.ports }, process);
  }

  /**
   * Holds `process` strongly, without watching it weakly, while an outside
   * resource keeps it alive anyway (a socket process: its socket's listeners
   * refer to it). Call `letGo` when that resource no longer does.
   */
  hold(process: Process): void {
    if (!process.inContainer || process.heldByContainer) return;
    const index = objectIndex(process.id);
    if (this.refs[index] instanceof WeakRef) this.collected.unregister(process);
    this.refs[index] = process;
    process.heldByContainer = true;
  }

  /** Ends `hold`: a process still in the container is watched weakly from now on. */
  letGo(process: Process): void {
    if (!process.heldByContainer) return;
    process.heldByContainer = false;
    if (process.inContainer) this.watch(process);
  }

  isHeld(process: Process): boolean {
    return process.heldByContainer;
  }

  /** Removes a process explicitly; its id becomes free at once. */
  remove(process: Process): void {
    if (!process.inContainer) return;
    process.inContainer = false;
    const index = objectIndex(process.id);
    if (this.refs[index] instanceof WeakRef) this.collected.unregister(process);
    process.heldByContainer = false;
    this.pinned.delete(process);
    for (const [name, p] of this.services) if (p === process) this.services.delete(name);
    this.release(index);
  }

  /**
   * The live process at a local address or object id, or one routed to another
   * host. (Each lookup goes through a WeakRef, which keeps its target until the
   * end of the job: where a process is at hand, `inContainer` is the cheaper test.)
   */
  processFor(address: number | bigint): Process | undefined {
    if (typeof address === 'bigint') {
      const parts = splitAddress(address);
      if (parts.host !== this.host) {
        if (!this.remote) throw new RangeError(`address on host ${hostIndex(parts.host)}: no remote route configured`);
        return this.remote(address);
      }
      address = parts.object;
    }
    const ref = this.refs[objectIndex(objectOf(address))];
    return ref instanceof WeakRef ? ref.deref() : ref;
  }

  /** Keeps a side effect alive (and, through its inputs, everything feeding it). */
  pin(process: Process): void {
    this.pinned.add(process);
  }

  unpin(process: Process): void {
    this.pinned.delete(process);
  }

  isPinned(process: Process): boolean {
    return this.pinned.has(process);
  }

  /** Registers a core service (stdin, stdout, files): pinned for the container's life. */
  service(name: string, process: Process): Process {
    this.services.set(name, process);
    this.pin(process);
    return process;
  }

  serviceNamed(name: string): Process | undefined {
    return this.services.get(name);
  }

  /** Live processes, counting those not yet reclaimed by the collector. */
  get count(): number {
    return this.live;
  }

  private reclaim({ index, ports }: Remains): void {
    // Its connection records go, and the live far ends learn their peer vanished.
    reclaimed(this, objectId(index), ports);
    this.release(index);
  }

  private release(index: number): void {
    this.refs[index] = undefined;
    this.freeIds.push(index);
    this.live--;
  }
}

/** A binary min-heap of free ids, so the lowest is reused first. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      // Swapped through a local, not a destructuring pair: this runs per process, and the pair is garbage.
      const swap = a[parent];
      a[parent] = a[i];
      a[i] = swap;
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        const swap = a[m];
        a[m] = a[i];
        a[i] = swap;
        i = m;
      }
    }
    return top;
  }
}
