// The picture as SVG, from a graph and its layout. Every text goes through
// `escape`: labels are process classes and port names, which a user's own
// definitions choose. Elements carry ids and data attributes the live page
// uses to update counts and to open a fused chain's source.
import type { Graph } from './graph.js';
import { CHAR, type Layout } from './layout.js';

/** Escapes text for XML content and attribute values. */
export function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const n = (v: number): string => String(Math.round(v * 10) / 10);

const STYLE = `
  text { font: 12px ui-monospace, Menlo, Consolas, monospace; fill: #1d2330; }
  .host > rect { fill: none; stroke: #8a94a6; stroke-dasharray: 6 4; }
  .chain > rect { fill: #eaf2ff; stroke: #5b8def; cursor: pointer; }
  .chain > text { fill: #2c5cc5; cursor: pointer; }
  .chain.selected > rect { fill: #d6e6ff; stroke-width: 2; }
  .process > rect { fill: #ffffff; stroke: #1d2330; }
  .port { fill: #1d2330; }
  .port.free { fill: #ffffff; stroke: #1d2330; }
  .port.ended { fill: #d9534f; }
  .port-name { font-size: 10px; fill: #5a6478; }
  .edge { fill: none; stroke: #3c4658; stroke-width: 1.4; marker-end: url(#arrow); }
  .count { font-size: 10px; fill: #0b7a3e; }
`;

export function svg(graph: Graph, at: Layout): string {
  const out: string[] = [];
  const w = Math.ceil(at.width);
  const h = Math.ceil(at.height);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">`);
  out.push(`<style>${STYLE}</style>`);
  out.push('<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#3c4658"/></marker></defs>');
  for (const host of graph.hosts) {
    const b = at.hosts.get(host.id)!;
    out.push(`<g class="host" id="host-${host.id}"><rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" rx="6"/><text x="${n(b.x + 8)}" y="${n(b.y + 17)}">host ${host.id}</text></g>`);
  }
  for (const c of graph.chains) {
    const b = at.chains.get(c.id)!;
    const label = `fused: ${c.label}`;
    out.push(`<g class="chain" id="chain-${c.id}" data-chain="${c.id}"><title>${escape(`${label} (entry at #${c.start} ${c.spec}); click for its source`)}</title><rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" rx="8"/><text x="${n(b.x + 8)}" y="${n(b.y + 17)}">${escape(clip(label, b.width - 16))}</text></g>`);
  }
  for (const c of graph.connections) {
    const points = at.routes.get(c.id) ?? [];
    if (points.length === 0) continue;
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(p.x)},${n(p.y)}`).join(' ');
    // Live counts (filled in by the page): records above the longest segment, the rate below it.
    const mid = midpoint(points);
    const id = escape(c.id);
    out.push(`<g class="connection" data-connection="${id}"><path class="edge" d="${d}"/><text class="count" id="count-${id}" x="${n(mid.x)}" y="${n(mid.y - 4)}" text-anchor="middle"></text><text class="count rate" id="rate-${id}" x="${n(mid.x)}" y="${n(mid.y + 12)}" text-anchor="middle"></text></g>`);
  }
  for (const p of graph.processes) {
    const b = at.processes.get(p.id)!;
    out.push(`<g class="process" id="process-${p.id}" data-process="${p.id}"><title>${escape(`${p.label}${p.realm ? ` in realm ${p.realm}` : ''}`)}</title>`);
    out.push(`<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" rx="4"/>`);
    out.push(`<text x="${n(b.x + b.width / 2)}" y="${n(b.y + 15)}" text-anchor="middle">${escape(p.label)}</text>`);
    b.ports.forEach((q, i) => {
      const port = p.ports[i];
      const state = port.ended ? ' ended' : port.connected ? '' : ' free';
      out.push(`<rect class="port${state}" id="port-${p.id}-${escape(q.name)}" x="${n(q.x)}" y="${n(q.y)}" width="${n(q.width)}" height="${n(q.height)}"><title>${escape(`${p.label}.${q.name}`)}</title></rect>`);
      const tx = q.input ? q.x + q.width + 3 : q.x - 3;
      out.push(`<text class="port-name" x="${n(tx)}" y="${n(q.y + q.height - 0.5)}" text-anchor="${q.input ? 'start' : 'end'}">${escape(q.name)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function clip(s: string, width: number): string {
  const max = Math.max(4, Math.floor(width / CHAR));
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The middle of the longest segment: where a count label disturbs least. */
function midpoint(points: { x: number; y: number }[]): { x: number; y: number } {
  let best = { x: points[0].x, y: points[0].y };
  let longest = -1;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const len = Math.abs(b.x - a.x) + Math.abs(b.y - a.y);
    if (len > longest) {
      longest = len;
      best = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    }
  }
  return best;
}
