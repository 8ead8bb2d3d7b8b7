// The topology as plain data: processes with their ports, the connections
// between them, the fused chains the JIT compiled (as groups of processes),
// the hosts and the realms. Pictures (svg.ts, dot.ts) and the live page are
// drawn from this; nothing here changes the engine (no entry is created or
// compiled, no realm is made).
import { hostIndex, objectIndex, portOf } from '../engine/address.js';
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { placement } from '../realm/placement.js';
import type { Entry } from '../jit/entry.js';

export interface GraphPort {
  name: string;
  /** True for an input port (data comes in through it). */
  input: boolean;
  connected: boolean;
  /** End of stream on this port: the peer ended its stream into it, and/or this process ended its own. */
  ended?: { byPeer: boolean; byUs: boolean };
}

export interface GraphProcess {
  /** The object index (`map#3` has id 3): unique within the container. */
  id: number;
  /** The process class (`map`, `grep`, ...). */
  kind: string;
  /** `map#3`. */
  label: string;
  host: number;
  /** The realm it was placed in; absent for the container's own realm. */
  realm?: string;
  ports: GraphPort[];
  /** The fused chain drawn around it, if any (a process is drawn in at most one). */
  chain?: number;
}

export interface GraphEnd {
  process: number;
  port: string;
}

export interface GraphConnection {
  /** `3.out-4.in`: stable while the connection lasts. */
  id: string;
  /** The writing end (an output port) and the reading end (an input port). */
  from: GraphEnd;
  to: GraphEnd;
}

export interface GraphChain {
  /** The entry's id, for asking its source (`explain`). */
  id: number;
  /** `map → grep → reduce`: the classes it inlined, in the order it met them. */
  label: string;
  /** Where it starts: the process and spec of its entry (`map#2 >in`). */
  start: number;
  spec: string;
  /** Every process whose rules or connections it inlined. */
  processes: number[];
}

export interface GraphHost {
  id: number;
  processes: number[];
}

export interface Graph {
  hosts: GraphHost[];
  processes: GraphProcess[];
  connections: GraphConnection[];
  chains: GraphChain[];
}

/** The whole container. */
export function graphOf(io: IO): Graph {
  return build([...io.processes()]);
}

/** The processes connected to `start` (through any port, either way), and their chains. */
export function componentOf(start: Process): Graph {
  const seen = new Set<Process>([start]);
  const stack = [start];
  while (stack.length > 0) {
    const p = stack.pop()!;
    p.ports.forEach((far, n) => {
      if (far === 0) return;
      const q = p.farProcess(n);
      if (q && !seen.has(q)) {
        seen.add(q);
        stack.push(q);
      }
    });
  }
  return build([...seen]);
}

/** The flow entries that fused more than one process, found on `processes`. */
export function chainsAmong(processes: Iterable<Process>): Entry[] {
  const found = new Map<number, Entry>();
  for (const p of processes) {
    for (const e of p.compiledEntries()) {
      if (e.kind === 'flow' && !e.stale && e.registeredWith.length > 1) found.set(e.id, e);
    }
  }
  return [...found.values()];
}

function build(list: Process[]): Graph {
  const procs = list.filter((p) => p.inContainer).sort((a, b) => a.id - b.id);
  const members = new Set(procs);
  const processes: GraphProcess[] = procs.map((p) => ({
    id: objectIndex(p.id),
    kind: p.def.name,
    label: p.label,
    host: hostIndex(p.io.host),
    ports: portsOf(p),
  }));
  procs.forEach((p, i) => {
    // Asked without touching io.realm, which would make the container's realm.
    const realm = placement(p);
    if (realm !== undefined) processes[i].realm = realm.label;
  });
  const byProcess = new Map(procs.map((p, i) => [p, processes[i]]));

  const connections: GraphConnection[] = [];
  for (const p of procs) {
    p.ports.forEach((far, n) => {
      if (far === 0) return;
      const q = p.farProcess(n);
      if (!q || !members.has(q)) return;
      const m = portOf(far);
      // Each connection once: from the end that is its output, or from the lower address when neither is an input.
      const pIn = p.def.isInput(n);
      const qIn = q.def.isInput(m);
      const fromHere = pIn === qIn ? p.address(n) < q.address(m) : !pIn;
      if (!fromHere) return;
      const from = { process: objectIndex(p.id), port: p.portName(n) };
      const to = { process: objectIndex(q.id), port: q.portName(m) };
      connections.push({ id: `${from.process}.${from.port}-${to.process}.${to.port}`, from, to });
    });
  }

  // The largest chains first, so that a process inlined by several is drawn in the largest.
  const entries = chainsAmong(procs).sort((a, b) => b.registeredWith.length - a.registeredWith.length || a.id - b.id);
  const chains: GraphChain[] = [];
  for (const e of entries) {
    const inside = e.registeredWith.filter((p) => members.has(p));
    if (inside.length < 2) continue;
    const placed = inside.filter((p) => byProcess.get(p)!.chain === undefined);
    if (placed.length < 2) continue;
    for (const p of placed) byProcess.get(p)!.chain = e.id;
    chains.push({
      id: e.id,
      label: e.registeredWith.map((p) => p.def.name).join(' → '),
      start: objectIndex(e.start.id),
      spec: e.spec.text,
      processes: placed.map((p) => objectIndex(p.id)),
    });
  }
  chains.sort((a, b) => a.start - b.start || a.id - b.id);

  const hosts = new Map<number, number[]>();
  for (const p of processes) {
    const list = hosts.get(p.host) ?? [];
    list.push(p.id);
    hosts.set(p.host, list);
  }
  return { hosts: [...hosts].map(([id, ps]) => ({ id, processes: ps })), processes, connections, chains };
}

function portsOf(p: Process): GraphPort[] {
  const out: GraphPort[] = [];
  p.ports.forEach((far, n) => {
    // Fixed ports always; range members only while connected.
    if (n >= p.def.ports.length && far === 0) return;
    const [byPeer, byUs] = p.endState(n);
    const port: GraphPort = { name: p.portName(n), input: p.def.isInput(n), connected: far !== 0 };
    if (byPeer || byUs) port.ended = { byPeer, byUs };
    out.push(port);
  });
  return out;
}
