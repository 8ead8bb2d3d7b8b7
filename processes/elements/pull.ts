// Reading from the far end of a port through negotiated IO, for chunk handlers
// that pull (grep and drop on the read path, buffers).
import { Flowable, type Elements } from '../../engine/flowable.js';
import type { Process } from '../../engine/process.js';

/** Reads up to n elements from whatever is connected to `port` into xs at offset; returns how many. */
export function pull(p: Process, port: string, xs: Elements, offset: number, n: number): number {
  const far = p.peer(port);
  if (!far || n <= 0) return 0;
  const spec = `<${far.port}`;
  const admitted = far.process.admittance(spec, Flowable.read(xs, n, offset));
  if (admitted.size === 0) return 0;
  return -far.process.flow(spec, admitted);
}

/** How many elements a write of n into the far end of `port` would admit now. */
export function admitOut(p: Process, port: string, n: number): number {
  if (n <= 0 || !p.isConnected(port)) return 0;
  // The far-end entry, from the process's entry cache: asked on every round.
  return p.entry(farOut(port), 'admittance').ready()(n);
}

const farOuts = new Map<string, string>();
function farOut(port: string): string {
  let spec = farOuts.get(port);
  if (spec === undefined) farOuts.set(port, (spec = `${port}>`));
  return spec;
}
