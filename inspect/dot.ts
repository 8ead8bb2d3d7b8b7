// The picture as Graphviz DOT, for `dot -Tpng` and the many tools that read
// it. Hosts and fused chains become clusters; a process is a record with its
// input ports on the left and its outputs on the right. Graphviz lays it out,
// so no layout is needed here.
import type { Graph, GraphProcess } from './graph.js';

/** A DOT double-quoted string. */
function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** Text inside a record label, where braces, bars and angle brackets are syntax. */
function field(s: string): string {
  return s.replace(/[\\{}|<>"]/g, (c) => `\\${c}`).replace(/\s/g, '\\ ');
}

const nodeName = (p: number): string => quote(`p${p}`);

function portIndex(p: GraphProcess, port: string): string {
  return `f${p.ports.findIndex((q) => q.name === port)}`;
}

function record(p: GraphProcess): string {
  const side = (input: boolean): string =>
    p.ports
      .map((q, i) => ({ q, i }))
      .filter(({ q }) => q.input === input)
      .map(({ q, i }) => `<f${i}> ${field(q.name)}${q.ended ? '\\ (ended)' : ''}`)
      .join('|');
  const parts = [side(true), field(p.label), side(false)].filter((s) => s !== '');
  return `${nodeName(p.id)} [label=${quote(`{${parts.join('|')}}`)}];`;
}

export function dot(graph: Graph): string {
  const byId = new Map(graph.processes.map((p) => [p.id, p]));
  const lines = ['digraph pushback {', '  rankdir=LR;', '  node [shape=record, fontname="monospace", fontsize=11];', '  edge [fontname="monospace", fontsize=9];'];
  for (const host of graph.hosts) {
    lines.push(`  subgraph ${quote(`cluster_host_${host.id}`)} {`, `    label=${quote(`host ${host.id}`)};`, '    style=dashed;');
    const inHost = new Set(host.processes);
    for (const c of graph.chains) {
      if (!c.processes.some((p) => inHost.has(p))) continue;
      lines.push(`    subgraph ${quote(`cluster_chain_${c.id}`)} {`, `      label=${quote(`fused: ${c.label}`)};`, '      style=filled;', '      fillcolor="#eaf2ff";', '      color="#5b8def";');
      for (const p of c.processes) lines.push(`      ${record(byId.get(p)!)}`);
      lines.push('    }');
    }
    for (const id of host.processes) {
      const p = byId.get(id)!;
      if (p.chain === undefined) lines.push(`    ${record(p)}`);
    }
    lines.push('  }');
  }
  for (const c of graph.connections) {
    const from = byId.get(c.from.process)!;
    const to = byId.get(c.to.process)!;
    lines.push(`  ${nodeName(from.id)}:${portIndex(from, c.from.port)}:e -> ${nodeName(to.id)}:${portIndex(to, c.to.port)}:w;`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
