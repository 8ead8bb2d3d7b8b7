// Helpers the generated code calls on its rare paths. They reach the generated
// functions as slot values, like every other value.
import { FlowError } from '../engine/errors.js';
import type { Process } from '../engine/process.js';

export { FlowError };

/** A flow reached a port with nothing on the far end (its admittance was 0). */
export function unconnected(process: Process, port: string): never {
  throw new FlowError(`${process.label}: flow into port ${JSON.stringify(port)}, which is not connected`);
}

/** A chunk handler committed less than it admitted. */
export function shortfall(process: Process, spec: string, moved: number, admitted: number): never {
  throw new FlowError(`${process.label} ${spec}: committed ${moved} of ${admitted} admitted`);
}

/**
 * Asked for the admittance of a broadcast whose every reader has ended: the
 * process ends its inputs, so that its sources stop, and admits nothing.
 */
export function noReaderLeft(process: Process): number {
  process.ports.forEach((far, n) => {
    if (far !== 0 && process.def.isInput(n)) process.end(n);
  });
  return 0;
}
