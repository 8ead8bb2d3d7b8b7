// What the live page shows besides the picture: per-port counts and rates,
// queue fill, ended ports with their reason, the JIT counters and the realms.
// A Watch is made when an inspector attaches; each `sample()` reads the
// counters (inspect/counters.ts) and the port states, and rates are the change
// since the previous sample.
import { objectIndex, objectOf, portOf, type LocalAddress } from '../engine/address.js';
import type { IO } from '../engine/io.js';
import { observe, type PortEvent } from '../engine/ports.js';
import type { Process } from '../engine/process.js';
import type { Realm } from '../realm/realm.js';
import { describeTuple } from '../realm/values.js';
import { runOf } from '../engine/run.js';
import { explain } from '../jit/explain.js';
import { snapshot, type JitStats } from '../jit/stats.js';
import { attachCounters, countersOf } from './counters.js';
import { chainsAmong } from './graph.js';

export interface PortSample {
  process: number;
  label: string;
  port: string;
  records: number;
  bytes: number;
  chunks: number;
  recordsPerSecond: number;
  bytesPerSecond: number;
}

export interface EndedPort {
  process: number;
  label: string;
  port: string;
  /** Why, as far as the engine knows: who ended the stream, a close, a disconnect, an aborted run. */
  reason: string;
}

export interface RealmSample {
  label: string;
  stopped: boolean;
  proclamations: string[];
  children: RealmSample[];
}

export interface Sample {
  /** Increases by one per sample. */
  tick: number;
  /** Milliseconds since the inspector attached. */
  time: number;
  ports: PortSample[];
  /** Elements held by queues (buffers and the like), by process. */
  queues: { process: number; label: string; held: number; capacity?: number }[];
  ended: EndedPort[];
  jit: JitStats;
  realms?: { tree: RealmSample; pendingSignals: number; proclamations: number; subscriptions: number };
}

const LOG = 200;

export class Watch {
  private readonly detach: () => void;
  private readonly stopObserving: () => void;
  private readonly started = performance.now();
  private tick = 0;
  private last = new Map<string, { records: number; bytes: number; at: number }>();
  /** Recent port events that ended something, newest last (bounded). */
  private readonly log: EndedPort[] = [];
  /** Bumped on every port event: the picture may have changed. */
  topology = 0;

  constructor(readonly io: IO) {
    this.detach = attachCounters(io);
    this.stopObserving = observe(io, (e) => this.seen(e));
  }

  close(): void {
    this.detach();
    this.stopObserving();
  }

  private seen(e: PortEvent): void {
    this.topology++;
    if (e.op === 'close') this.note(e.end, 'closed');
    else if (e.op === 'disconnect') {
      const why = e.reason === 'vanished' ? 'its peer was collected' : e.reason === 'closed' ? 'both ends closed' : 'disconnected';
      this.note(e.a, why);
    }
  }

  private note(at: LocalAddress, reason: string): void {
    const p = this.io.processFor(objectOf(at));
    if (!p) return;
    this.log.push({ process: objectIndex(p.id), label: p.label, port: p.portName(portOf(at)), reason });
    if (this.log.length > LOG) this.log.shift();
  }

  sample(withRealms: boolean): Sample {
    const now = performance.now();
    const ports: PortSample[] = [];
    const queues: Sample['queues'] = [];
    const ended: EndedPort[] = [];
    const next = new Map<string, { records: number; bytes: number; at: number }>();
    for (const p of this.io.processes()) {
      const id = objectIndex(p.id);
      for (const [port, c] of countersOf(p)) {
        const key = `${id}.${port}`;
        const before = this.last.get(key);
        const dt = before ? (now - before.at) / 1000 : 0;
        ports.push({
          process: id,
          label: p.label,
          port,
          records: c.records,
          bytes: c.bytes,
          chunks: c.chunks,
          recordsPerSecond: dt > 0 ? (c.records - before!.records) / dt : 0,
          bytesPerSecond: dt > 0 ? (c.bytes - before!.bytes) / dt : 0,
        });
        next.set(key, { records: c.records, bytes: c.bytes, at: now });
      }
      const held = queued(p);
      if (held !== undefined) queues.push({ process: id, label: p.label, ...held });
      p.ports.forEach((far, n) => {
        const [byPeer, byUs] = p.endState(n);
        if (far === 0 || (!byPeer && !byUs)) return;
        ended.push({ process: id, label: p.label, port: p.portName(n), reason: endReason(p, n, byPeer, byUs) });
      });
    }
    this.last = next;
    ports.sort((a, b) => a.process - b.process || a.port.localeCompare(b.port));
    ended.sort((a, b) => a.process - b.process || a.port.localeCompare(b.port));
    const sample: Sample = { tick: ++this.tick, time: Math.round(now - this.started), ports, queues, ended: [...ended, ...this.log], jit: snapshot() };
    if (withRealms) sample.realms = realms(this.io);
    return sample;
  }

  /** The fused source of the chain whose entry has `id`, slots labelled; undefined if there is none. */
  explain(id: number): string | undefined {
    const entry = chainsAmong(this.io.processes()).find((e) => e.id === id);
    if (!entry) return undefined;
    return explain(entry.start, entry.spec.text, entry.kind);
  }
}

function endReason(p: Process, n: number, byPeer: boolean, byUs: boolean): string {
  const run = runOf(p);
  if (run?.failed) return `run aborted: ${run.error instanceof Error ? run.error.message : String(run.error)}`;
  const peer = p.peer(n);
  const who = peer ? `${peer.process.label}.${peer.port}` : 'the peer';
  if (byPeer && byUs) return `end of stream both ways (with ${who})`;
  if (byPeer) return `end of stream from ${who}`;
  return `ended its stream into ${who}`;
}

/** Elements a queue holds: a process keeping `items` from `head` on, with an optional `capacity` parameter. */
function queued(p: Process): { held: number; capacity?: number } | undefined {
  const items = p.state.items;
  if (!Array.isArray(items) || typeof p.state.head !== 'number') return undefined;
  const capacity = p.params.capacity;
  return { held: items.length - p.state.head, ...(typeof capacity === 'number' ? { capacity } : {}) };
}

function realms(io: IO): Sample['realms'] {
  const root = io.realm;
  const world = root.world;
  const stats = world.stats();
  return { tree: realmTree(world), pendingSignals: stats.pendingSignals, proclamations: stats.proclamations, subscriptions: stats.subscriptions };
}

function realmTree(r: Realm): RealmSample {
  let proclamations: string[] = [];
  try {
    proclamations = r.proclamations().slice(0, 50).map((m) => describeTuple('$', m.topic, m.args) + (m.count > 1 ? ` ×${m.count}` : ''));
  } catch {
    // A stopped realm has none to show.
  }
  return { label: r.label, stopped: r.stopped, proclamations, children: r.children.map(realmTree) };
}
