// The IO container: owns processes, hands out the lowest free object id, and
// decides what stays alive.
//
// The container refers to its processes weakly. A process stays alive only if
// it is (1) a core service, (2) a pinned side effect (each, a sink) until
// unpinned, or (3) a dependency of a live process: every process holds its
// inputs strongly. When a process is collected its id is freed and the far
// ends of its ports are disconnected.
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
  private readonly refs: (WeakRef<Process> | undefined)[] = [undefined];
  private readonly freeIds = new MinHeap();
  private readonly pinned = new Set<Process>();
  private readonly services = new Map<string, Process>();
  private live = 0;
  private readonly collected = new FinalizationRegistry<Remains>((remains) => this.reclaim(remains));
  private rootRealm?: Realm;

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
      const p = ref?.deref();
      if (p !== undefined) yield p;
    }
  }

  /** Registers a new process and returns its object id (the lowest free one). */
  add(process: Process): ObjectId {
    const index = this.freeIds.size > 0 ? this.freeIds.pop() : this.refs.length;
    const id = objectId(index);
    this.refs[index] = new WeakRef(process);
    process.inContainer = true;
    this.live++;
    this.collected.register(process, { index, ports: process.ports }, process);
    return id;
  }

  /** Removes a process explicitly; its id becomes free at once. */
  remove(process: Process): void {
    if (!process.inContainer) return;
    process.inContainer = false;
    const index = objectIndex(process.id);
    this.collected.unregister(process);
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
    return this.refs[objectIndex(objectOf(address))]?.deref();
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
      [a[parent], a[i]] = [a[i], a[parent]];
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
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
