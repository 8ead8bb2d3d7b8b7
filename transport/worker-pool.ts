// A pool of worker hosts for one IO container: `new IO({ workers: n })`.
//
// Slot i holds one WorkerHost (transport/worker-host.ts), started the first
// time slot i is used, so a container that never runs anything in parallel
// starts no thread. Every worker ever started gets a host id of its own: a
// worker that replaces a lost one (restart) is a new host, so an error or a
// graph never confuses the two. `close()` stops them all.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostId, hostIndex, type HostId } from '../engine/address.js';
import { WorkerHost } from './worker-host.js';

export interface WorkerPoolOptions {
  /** How many workers (slots). */
  size: number;
  /** The host id of the container that owns the pool; workers are numbered after it. */
  owner: HostId;
  /** The worker script (built `transport/worker-container.js`); found by `workerScript()` if not given. */
  script?: string | URL;
  /** The folder each worker resolves module references from (default: its working directory). */
  root?: string;
}

/**
 * The environment variable that names the worker script when the pool runs
 * from TypeScript sources (a test runner): a worker runs JavaScript, and the
 * built script next to this module exists only under dist/.
 */
export const WORKER_SCRIPT_VARIABLE = 'PUSHBACK_WORKER_SCRIPT';

/** Where the worker script is: the variable if set, else the built worker-container.js next to this module. */
export function workerScript(): string | URL {
  const named = process.env[WORKER_SCRIPT_VARIABLE];
  if (named !== undefined && named !== '') return named;
  const here = new URL('./worker-container.js', import.meta.url);
  if (!existsSync(fileURLToPath(here))) {
    throw new Error(`the worker script ${fileURLToPath(here)} does not exist: build the package (npm run build), or set ${WORKER_SCRIPT_VARIABLE} to a built worker-container.js`);
  }
  return here;
}

export class WorkerPool {
  readonly size: number;
  private readonly script: string | URL;
  private readonly root: string | undefined;
  private readonly slots: (WorkerHost | undefined)[];
  /** Every host started, including replaced ones, so that close() stops them all. */
  private readonly started = new Set<WorkerHost>();
  private nextHost: number;
  private closed = false;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > 256) {
      throw new RangeError(`workers: expected 1 to 256 workers, got ${String(options.size)}`);
    }
    this.size = options.size;
    this.script = options.script ?? workerScript();
    this.root = options.root;
    this.slots = new Array<WorkerHost | undefined>(options.size).fill(undefined);
    this.nextHost = hostIndex(options.owner) + 1;
  }

  /** The host in slot `slot`, started now if it has not been. */
  host(slot: number): WorkerHost {
    this.check(slot);
    const running = this.slots[slot];
    if (running !== undefined && running.lost === undefined) return running;
    return this.start(slot);
  }

  /** The hosts started so far (and not replaced), by slot. */
  hosts(): readonly (WorkerHost | undefined)[] {
    return [...this.slots];
  }

  /** A fresh host for slot `slot`, replacing the one there (which is stopped if it still runs). */
  replace(slot: number): WorkerHost {
    this.check(slot);
    const old = this.slots[slot];
    if (old !== undefined && old.lost === undefined) void old.close();
    return this.start(slot);
  }

  /** Stops every worker; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.started];
    this.started.clear();
    this.slots.fill(undefined);
    await Promise.all(all.map((h) => h.close()));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private start(slot: number): WorkerHost {
    const host = new WorkerHost({ script: this.script, host: hostId(this.nextHost++), ...(this.root === undefined ? {} : { root: this.root }) });
    // A worker must not keep the process alive on its own: the pool's owner decides when work is done.
    host.worker.unref();
    this.slots[slot] = host;
    this.started.add(host);
    host.worker.once('exit', () => this.started.delete(host));
    return host;
  }

  private check(slot: number): void {
    if (this.closed) throw new Error('the worker pool is closed (io.close() was called)');
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.size) throw new RangeError(`no worker slot ${slot} (the pool has ${this.size})`);
  }
}
