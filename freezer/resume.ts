// Resuming a rebuilt graph. A snapshot saves state, not the promises a
// process was waiting on (a buffer waiting for room downstream, a framer
// flushing its last line after its input ended, an output finishing its
// device). Those waits are started again here from the saved state, the way
// the process started them the first time.
import type { Process } from '../engine/process.js';
import { buffer, drain } from '../processes/topology/buffer.js';
import { attach, output } from '../processes/sinks/output.js';

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
  else if (p.state.finishing === true) p.state.finishing = false;
}

/** Starts again what `p` was waiting for when it was frozen. */
export function resume(p: Process): void {
  if (!p.inContainer) return;
  if (p.def === buffer && p.state.waiting === true) {
    p.state.waiting = false;
    drain(p);
    return;
  }
  // An input ended while an output still had to be flushed or ended: the end
  // of stream is handled again, from the saved state (what was already done is
  // not done twice: the state says it is done).
  for (let n = 0; n < p.ports.length; n++) {
    if (!p.def.isInput(n) || !p.isConnected(n) || !p.isEnded(n)) continue;
    if (stillToEnd(p)) {
      if (p.def.onEnd) p.def.onEnd(p, p.portName(n));
      else p.endOthers(p.portName(n));
    }
    return;
  }
}

function stillToEnd(p: Process): boolean {
  if (p.def === output) return p.state.done !== true;
  for (let n = 0; n < p.ports.length; n++) {
    if (!p.def.isInput(n) && p.isConnected(n) && !p.endState(n)[1]) return true;
  }
  return false;
}
