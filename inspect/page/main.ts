// The inspector's page: draws what the server sends and never asks it to
// change anything. Every request carries the token the page was opened with.
// Text from the server is set as text (textContent), never parsed as HTML; the
// picture is parsed as SVG by the browser's XML parser, which runs no script.
import type { Graph } from '../graph.js';
import type { Sample } from '../live.js';

const token = new URLSearchParams(location.search).get('token') ?? '';
const withToken = (path: string): string => `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

const $ = (id: string): HTMLElement => document.getElementById(id)!;

let graph: Graph | undefined;
let selected: number | undefined;
let lastSample: Sample | undefined;

function number(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function row(cells: (string | number)[], numeric: boolean[] = []): HTMLTableRowElement {
  const tr = document.createElement('tr');
  cells.forEach((c, i) => {
    const td = document.createElement('td');
    td.textContent = String(c);
    if (numeric[i]) td.className = 'num';
    tr.append(td);
  });
  return tr;
}

function fill(id: string, rows: HTMLTableRowElement[]): void {
  const body = $(id).querySelector('tbody')!;
  body.replaceChildren(...rows);
}

function showGraph(data: { graph: Graph; svg: string }): void {
  graph = data.graph;
  const doc = new DOMParser().parseFromString(data.svg, 'image/svg+xml');
  const picture = document.importNode(doc.documentElement, true);
  $('graph').replaceChildren(picture);
  for (const g of picture.querySelectorAll<SVGGElement>('.chain')) {
    g.addEventListener('click', () => void openChain(Number(g.dataset.chain)));
    if (Number(g.dataset.chain) === selected) g.classList.add('selected');
  }
  const chainOf = new Map(graph.chains.map((c) => [c.id, c.label]));
  fill(
    'processes',
    graph.processes.map((p) => {
      const tr = row([p.label, p.ports.map((q) => `${q.name}${q.ended ? ' (ended)' : q.connected ? '' : ' (free)'}`).join(', '), p.realm ?? 'container', p.chain === undefined ? '' : chainOf.get(p.chain) ?? '']);
      tr.dataset.process = String(p.id);
      return tr;
    }),
  );
  if (lastSample) showSample(lastSample);
}

async function openChain(id: number): Promise<void> {
  selected = id;
  for (const g of document.querySelectorAll<SVGGElement>('.chain')) g.classList.toggle('selected', Number(g.dataset.chain) === id);
  const chain = graph?.chains.find((c) => c.id === id);
  $('source-title').textContent = chain ? `Fused chain: ${chain.label}` : 'Fused chain source';
  const res = await fetch(withToken(`/explain?chain=${id}`));
  const source = $('source');
  source.classList.toggle('muted', !res.ok);
  source.textContent = await res.text();
}

function showSample(s: Sample): void {
  lastSample = s;
  document.body.dataset.tick = String(s.tick);
  $('jit').textContent = `JIT: ${s.jit.compiles} compiles, ${s.jit.cacheHits} cache hits, ${s.jit.invalidations} invalidations, ${s.jit.recompiles} recompiles, ${s.jit.retypes} retypes`;
  fill(
    'ports',
    s.ports.map((p) => {
      const tr = row([p.label, p.port, number(p.records), number(p.recordsPerSecond), number(p.bytesPerSecond), p.chunks], [false, false, true, true, true, true]);
      tr.dataset.port = `${p.process}.${p.port}`;
      tr.dataset.records = String(p.records);
      return tr;
    }),
  );
  // Counts on the picture: a connection shows what crossed either of its ends.
  const byPort = new Map(s.ports.map((p) => [`${p.process}.${p.port}`, p]));
  for (const c of graph?.connections ?? []) {
    const label = document.getElementById(`count-${c.id}`);
    if (!label) continue;
    const a = byPort.get(`${c.from.process}.${c.from.port}`);
    const b = byPort.get(`${c.to.process}.${c.to.port}`);
    const records = (a?.records ?? 0) + (b?.records ?? 0);
    const rate = (a?.recordsPerSecond ?? 0) + (b?.recordsPerSecond ?? 0);
    label.textContent = a || b ? number(records) : '';
    label.dataset.records = String(records);
    const below = document.getElementById(`rate-${c.id}`);
    if (below) below.textContent = a || b ? `${number(rate)}/s` : '';
  }
  fill('ended', s.ended.map((e) => row([`${e.label}.${e.port}`, e.reason])));
  fill('queues', s.queues.map((q) => row([q.label, q.capacity === undefined ? `${q.held} held` : `${q.held} / ${q.capacity}`])));
  if (s.realms) {
    const lines: string[] = [`pending signals: ${s.realms.pendingSignals}, proclamations: ${s.realms.proclamations}, subscriptions: ${s.realms.subscriptions}`];
    const walk = (r: NonNullable<Sample['realms']>['tree'], depth: number): void => {
      lines.push(`${'  '.repeat(depth)}${r.label}${r.stopped ? ' (stopped)' : ''}`);
      for (const p of r.proclamations) lines.push(`${'  '.repeat(depth + 1)}${p}`);
      for (const c of r.children) walk(c, depth + 1);
    };
    walk(s.realms.tree, 0);
    $('realms').textContent = lines.join('\n');
  }
}

const events = new EventSource(withToken('/events'));
events.addEventListener('open', () => ($('status').textContent = 'live'));
events.addEventListener('error', () => ($('status').textContent = 'disconnected (the pipeline may have ended); retrying…'));
events.addEventListener('graph', (e) => showGraph(JSON.parse((e as MessageEvent<string>).data)));
events.addEventListener('sample', (e) => showSample(JSON.parse((e as MessageEvent<string>).data)));
