// Resuming a rebuilt graph. A snapshot saves state, not the promises a
// process was waiting on (a buffer waiting for room downstream, a framer
// flushing its last line after its input ended, an output finishing its
// device). Those waits are started again here from the saved state, the way
// the process started them the first time.
import type { Process } from '../engine/process.js';
import { buffer, drain } from '../processes/topology/buffer.js';
import { attach, output } from '../processes/sinks/output.js';
import { flatMap } from '../processes/elements/flat-map.js';
import { endWhenFlushed, type Residual } from '../processes/bytes/residual.js';

interface Finish {
  resolve: () => void;
}

/** Sets up a process of a class with a device (an output) as its chaining API did. */
export function reattach(p: Process): void {
  if (p.def !== output) return;
  attach(p, { pin: p.io.isPinned(p) });
  // The promise of its completion is new: if it had finished, it is finished again.
  if (p.state.done === true) (p.state.finish as Finish).resolve();
  // It was finishing its device when frozen: the new device is finished from the start.
  else {
    if (p.state.finishing === true) p.state.finishing = false;
    // Its input had ended: it finishes its (new) device, as it would have.
    if (p.isConnected('in') && p.isEnded('in')) p.def.onEnd?.(p, 'in');
  }
}

/** Starts again what `p` was waiting for when it was frozen. */
export function resume(p: Process): void {
  if (!p.inContainer) return;
  if (buffer.is(p) && p.state.waiting) {
    p.state.waiting = false;
    drain(p);
    return;
  }
  if (p.def === output || !inputsEnded(p) || !outputOpen(p)) return;
  // Its input ended while output was still to be sent: it was waiting for room
  // downstream. The wait is started again; what is to be sent is in the saved
  // state, so nothing is sent twice (an end-of-stream rule is not run again:
  // a count would emit its total a second time).
  if ('kept' in p.state) endWhenFlushed(p as Residual);
  else if (buffer.is(p)) drain(p);
  else if (p.def === flatMap) p.def.onEnd!(p, 'in');
  else if (p.def.onEnd === undefined) p.endOthers(p.portName(firstInput(p)));
}

function firstInput(p: Process): number {
  for (let n = 0; n < p.ports.length; n++) if (p.def.isInput(n) && p.isConnected(n)) return n;
  return 0;
}

/** Every connected input has ended (and there is one). */
function inputsEnded(p: Process): boolean {
  let any = false;
  for (let n = 0; n < p.ports.length; n++) {
    if (!p.def.isInput(n) || !p.isConnected(n)) continue;
    if (!p.isEnded(n)) return false;
    any = true;
  }
  return any;
}

/** Some connected output is not yet ended by us. */
function outputOpen(p: Process): boolean {
  for (let n = 0; n < p.ports.length; n++) {
    if (!p.def.isInput(n) && p.isConnected(n) && !p.endState(n)[1]) return true;
  }
  return false;
}
