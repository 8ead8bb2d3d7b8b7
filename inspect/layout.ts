// Layout: where each process, port, fused chain and host goes, and the route
// of each connection, computed by ELK (elkjs).
//
// ELK rather than dagre: it lays out ports on the sides of a node (inputs
// west, outputs east, in the order declared), nests compound nodes (a fused
// chain inside its host) and routes edges orthogonally across that nesting,
// which is exactly the shape of a dataflow picture. It is loaded on first use,
// in a worker thread, so the library costs nothing to programs that never ask
// for a picture and a layout never stalls the pipeline it draws.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ElkExtendedEdge, ElkNode, ElkPort } from 'elkjs/lib/elk-api.js';
import type { Graph, GraphProcess } from './graph.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedPort extends Box {
  name: string;
  input: boolean;
}

export interface Layout {
  width: number;
  height: number;
  processes: Map<number, Box & { ports: PlacedPort[] }>;
  chains: Map<number, Box>;
  hosts: Map<number, Box>;
  /** The route of each connection, by connection id: absolute points, start to end. */
  routes: Map<string, { x: number; y: number }[]>;
}

/** Width of one character of the pictures' monospace labels (12 px). */
export const CHAR = 7.2;
const PORT = 8;
const PADDING = '[top=28,left=14,bottom=14,right=14]';
/** Spacing is read per level of nesting, so every compound node carries it. */
const SPACING = {
  'elk.layered.spacing.nodeNodeBetweenLayers': '56',
  'elk.spacing.nodeNode': '28',
};

type Elk = { layout(graph: ElkNode): Promise<ElkNode> };
let elk: Elk | undefined;

/**
 * ELK in a worker thread: a layout takes from milliseconds to seconds, and the
 * inspector lays out while the pipeline it shows is running in this thread.
 * The worker keeps Node running only while a layout is under way.
 */
function loadElk(): Elk {
  const path = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
  // The worker's whole source: the only value in it is the resolved path of the library, quoted as JSON.
  const source = `
    const { parentPort } = require('node:worker_threads');
    const ELK = require(${JSON.stringify(path)});
    const elk = new ELK();
    parentPort.on('message', ({ id, graph }) => elk.layout(graph).then(
      (laid) => parentPort.postMessage({ id, laid }),
      (error) => parentPort.postMessage({ id, error: String(error && error.message || error) })));`;
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, { resolve: (n: ElkNode) => void; reject: (e: Error) => void }>();
  const start = (): Worker => {
    const w = new Worker(source, { eval: true });
    w.on('message', ({ id, laid, error }: { id: number; laid?: ElkNode; error?: string }) => {
      const waiting = pending.get(id);
      pending.delete(id);
      if (pending.size === 0) w.unref();
      if (error !== undefined) waiting?.reject(new Error(`layout failed: ${error}`));
      else waiting?.resolve(laid!);
    });
    const fail = (error: unknown): void => {
      worker = undefined;
      for (const w of pending.values()) w.reject(error instanceof Error ? error : new Error(`layout worker stopped: ${String(error)}`));
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`layout worker exited with code ${code}`)));
    return w;
  };
  return {
    layout: (graph) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        pending.set(id, { resolve, reject });
        worker ??= start();
        // Held while a layout is under way (someone awaits it), let go when idle.
        worker.ref();
        worker.postMessage({ id, graph });
      }),
  };
}

const nodeId = (p: number): string => `p${p}`;
const portId = (p: number, port: string): string => `p${p}:${port}`;

function processNode(p: GraphProcess): ElkNode {
  const inputs = p.ports.filter((q) => q.input);
  const outputs = p.ports.filter((q) => !q.input);
  const longest = Math.max(0, ...inputs.map((q) => q.name.length)) + Math.max(0, ...outputs.map((q) => q.name.length));
  const ports: ElkPort[] = p.ports.map((q, i) => ({
    id: portId(p.id, q.name),
    width: PORT,
    height: PORT,
    layoutOptions: { 'elk.port.side': q.input ? 'WEST' : 'EAST', 'elk.port.index': String(q.input ? p.ports.length - i : i) },
  }));
  return {
    id: nodeId(p.id),
    width: Math.max(p.label.length * CHAR + 24, longest * CHAR * 0.85 + 40, 72),
    height: Math.max(46, 26 + 18 * Math.max(inputs.length, outputs.length)),
    ports,
    layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER', 'elk.portLabels.placement': 'INSIDE' },
  };
}

/** Lays out `graph`: hosts contain fused chains, which contain their processes. */
export async function layout(graph: Graph): Promise<Layout> {
  const node = new Map(graph.processes.map((p) => [p.id, processNode(p)]));
  const hosts: ElkNode[] = graph.hosts.map((h) => {
    const inHost = new Set(h.processes);
    const chains: ElkNode[] = graph.chains
      .filter((c) => c.processes.some((p) => inHost.has(p)))
      .map((c) => ({ id: `c${c.id}`, children: c.processes.map((p) => node.get(p)!), layoutOptions: { ...SPACING, 'elk.padding': PADDING } }));
    const loose = graph.processes.filter((p) => inHost.has(p.id) && p.chain === undefined).map((p) => node.get(p.id)!);
    return { id: `h${h.id}`, children: [...chains, ...loose], layoutOptions: { ...SPACING, 'elk.padding': PADDING } };
  });
  const edges: ElkExtendedEdge[] = graph.connections.map((c) => ({
    id: `e:${c.id}`,
    sources: [portId(c.from.process, c.from.port)],
    targets: [portId(c.to.process, c.to.port)],
  }));
  const root: ElkNode = {
    id: 'root',
    children: hosts,
    edges,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      ...SPACING,
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
  };
  const done = await (elk ??= loadElk()).layout(root);

  const out: Layout = { width: done.width ?? 0, height: done.height ?? 0, processes: new Map(), chains: new Map(), hosts: new Map(), routes: new Map() };
  // ELK gives positions relative to the parent: make them absolute, remembering each container's origin.
  const origin = new Map<string, { x: number; y: number }>([['root', { x: 0, y: 0 }]]);
  const visit = (n: ElkNode, ox: number, oy: number): void => {
    const box = { x: ox + (n.x ?? 0), y: oy + (n.y ?? 0), width: n.width ?? 0, height: n.height ?? 0 };
    origin.set(n.id, { x: box.x, y: box.y });
    const kind = n.id[0];
    const id = Number(n.id.slice(1));
    if (kind === 'h') out.hosts.set(id, box);
    else if (kind === 'c') out.chains.set(id, box);
    else if (kind === 'p') {
      const p = graph.processes.find((q) => q.id === id)!;
      const ports: PlacedPort[] = (n.ports ?? []).map((q, i) => ({
        name: p.ports[i].name,
        input: p.ports[i].input,
        x: box.x + (q.x ?? 0),
        y: box.y + (q.y ?? 0),
        width: q.width ?? PORT,
        height: q.height ?? PORT,
      }));
      out.processes.set(id, { ...box, ports });
    }
    for (const child of n.children ?? []) visit(child, box.x, box.y);
  };
  for (const child of done.children ?? []) visit(child, 0, 0);
  for (const e of collectEdges(done)) {
    const o = origin.get((e as { container?: string }).container ?? 'root') ?? { x: 0, y: 0 };
    const points: { x: number; y: number }[] = [];
    for (const s of e.sections ?? []) {
      points.push(s.startPoint, ...(s.bendPoints ?? []), s.endPoint);
    }
    out.routes.set(e.id.slice(2), points.map((p) => ({ x: o.x + p.x, y: o.y + p.y })));
  }
  return out;
}

function collectEdges(n: ElkNode): ElkExtendedEdge[] {
  return [...(n.edges ?? []), ...(n.children ?? []).flatMap(collectEdges)];
}
