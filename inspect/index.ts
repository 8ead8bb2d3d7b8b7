// Seeing a pipeline: its topology as data (`io.graph()`, `chain.graph()`), as
// a picture (`renderGraph`, `writeGraph`: SVG laid out by ELK, or DOT), and
// live in a browser (`io.inspect()`). The layout library, the server and the
// page are loaded only when asked for, so importing the engine costs nothing
// more than this file and graph.ts.
import { writeFile } from 'node:fs/promises';
import { IO } from '../engine/io.js';
import { graphOf, type Graph } from './graph.js';
import type { Inspector, InspectOptions } from './server.js';

export type { Graph, GraphChain, GraphConnection, GraphHost, GraphPort, GraphProcess } from './graph.js';
export type { Inspector, InspectOptions } from './server.js';

export type GraphFormat = 'svg' | 'dot';

/** The picture of `graph` as SVG (laid out by ELK) or DOT. */
export async function renderGraph(graph: Graph, format: GraphFormat): Promise<string> {
  if (format === 'dot') return (await import('./dot.js')).dot(graph);
  const [{ layout }, { svg }] = await Promise.all([import('./layout.js'), import('./svg.js')]);
  return svg(graph, await layout(graph));
}

/** The format a file name asks for: `.svg` or `.dot` (`.gv`); anything else is an error naming the path. */
export function graphFormat(path: string): GraphFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.svg')) return 'svg';
  if (lower.endsWith('.dot') || lower.endsWith('.gv')) return 'dot';
  throw new TypeError(`--graph ${JSON.stringify(path)}: the file name must end in .svg or .dot`);
}

/** Writes the picture of `graph` to `path`, in the format its extension names. */
export async function writeGraph(graph: Graph, path: string): Promise<void> {
  const format = graphFormat(path);
  await writeFile(path, await renderGraph(graph, format));
}

/** Serves a live, read-only page about `io` (see inspect/server.ts). */
export async function inspect(io: IO, options: InspectOptions = {}): Promise<Inspector> {
  return (await import('./server.js')).inspect(io, options);
}

// ------------------------------------------------------------ the command line's flags

/**
 * `--graph PATH`: writes the picture of what `target` belongs to (a sink's
 * pipeline, or the whole container) to PATH (.svg or .dot). Call it after the
 * pipeline is built and has run, so that its fused chains are drawn.
 */
export async function graphFlag(target: IO | { graph(): Graph }, path: string): Promise<void> {
  await writeGraph(target instanceof IO ? graphOf(target) : target.graph(), path);
}

/**
 * `--inspect[=PORT]`: starts the inspector on 127.0.0.1 (PORT, or a free one
 * when the flag has no value) and tells `log` its URL. The page lasts while the
 * pipeline runs; `close()` the inspector returned to stop it earlier.
 */
export async function inspectFlag(io: IO, value: string | true | undefined, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Inspector> {
  const inspector = await inspect(io, { port: inspectPort(value) });
  log(`pushback inspector: ${inspector.url}`);
  return inspector;
}

/** The port `--inspect[=PORT]` asks for (0: a free one); a TypeError naming the flag for anything but 0 to 65535. */
export function inspectPort(value: string | true | undefined): number {
  if (typeof value !== 'string' || value === '') return 0;
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) throw new TypeError(`--inspect=${value}: expected a port number from 0 to 65535`);
  return port;
}
