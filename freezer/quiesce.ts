// Quiescing: a snapshot is consistent only between turns, with no flow in
// progress and nothing on its way to a device.
//
// A flow is one synchronous call, so no flow is in progress once the code that
// asked for the snapshot has returned to the event loop: the snapshot starts
// after an await and therefore never sees a flow half done. What remains in
// flight are writes an output handed to its device and the device has not yet
// confirmed. Their data has left the graph but is not yet counted as written,
// so the snapshot waits for them rather than refusing (a refusal would make a
// periodic checkpoint of a busy pipeline fail for ever): admittance into every
// output is held at zero, so nothing new leaves the graph, and once the device
// has confirmed everything the graph is frozen and the hold released. The wait
// is bounded by one high-water mark of writes per output.
//
// The hold is the output's own admittance rule (high water minus what is
// unconfirmed): the freezer counts a full high-water mark as unconfirmed while
// it holds, and takes it back after. Sources upstream see zero admittance and
// wait for `writableAgain`, which the release sends.
import type { IO } from '../engine/io.js';
import type { Process } from '../engine/process.js';
import { output } from '../processes/sinks/output.js';

interface Held {
  readonly process: Process;
  readonly amount: number;
}

function unconfirmed(o: Process, held: number): number {
  return (o.state.queued as number) - held;
}

/** Holds admittance into every live output of `io` at zero; returns what to release. */
function hold(io: IO): Held[] {
  const held: Held[] = [];
  for (const p of io.processes()) {
    if (p.def !== output || p.state.closed === true || p.state.done === true) continue;
    const amount = p.params.highWater as number;
    p.state.queued = (p.state.queued as number) + amount;
    held.push({ process: p, amount });
  }
  return held;
}

/** Takes the hold back out of the outputs' state (synchronously: nothing can flow before the freeze). */
function unhold(held: readonly Held[]): void {
  for (const { process: o, amount } of held) o.state.queued = (o.state.queued as number) - amount;
}

/** Lets the sources upstream of the outputs go on. */
function wake(held: readonly Held[]): void {
  for (const { process: o } of held) {
    if (!o.inContainer) continue;
    // An input that ended during the hold could not finish the output (it still
    // looked busy): let it finish now, as it would have.
    if (o.isEnded('in')) o.def.onEnd?.(o, 'in');
    else if (o.state.closed !== true) o.writableAgain('in');
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `freeze` once `io` is quiet: after the current turn, with admittance
 * into the outputs held and every write they started confirmed (or failed).
 * The hold is released whatever `freeze` does.
 */
export async function whenQuiet<T>(io: IO, freeze: () => T): Promise<T> {
  await Promise.resolve();
  const held = hold(io);
  let holding = true;
  try {
    // Write confirmations arrive as the device's callbacks, one turn of the
    // event loop at a time; the output offers no event for "all confirmed".
    while (held.some(({ process: o, amount }) => o.inContainer && o.state.closed !== true && unconfirmed(o, amount) > 0)) await nextTurn();
    // The frozen state must not contain the hold; nothing runs between these two calls.
    unhold(held);
    holding = false;
    return freeze();
  } finally {
    if (holding) unhold(held);
    wake(held);
  }
}
