// A replay: the elements a process's input held when it was frozen on another
// host (received there, not yet taken), delivered to its thawed self first.
// It stands where the process's writer upstream was connected, and once it
// has delivered them all it hands its connection back to that writer, which
// goes on exactly where it stopped (freezer/migrate.ts brings processes back).
//
//   upstream -x- [held stand-in]        upstream waits (admits nothing)
//   [replay] --out--> thawed process    the held elements, in order
//   upstream --out--> thawed process    once the replay is empty
import { define } from '../engine/definition.js';
import type { IO } from '../engine/io.js';
import { Process } from '../engine/process.js';
import { entryOf } from '../jit/entries.js';

/** The replay's process: a source whose elements are the held ones. */
export const replay = define('replay', { ports: ['out'], params: ['replay'] });

export class Replay {
  readonly process: Process;

  constructor(
    io: IO,
    private readonly held: unknown[],
    /** Called once every element was delivered, with the replay's downstream at that moment (it may have moved meanwhile). */
    private readonly then: (downstream: { process: Process; port: string } | undefined) => void,
  ) {
    this.process = new Process(io, replay, { replay: this });
    io.pin(this.process);
  }

  /** Delivers the held elements as far as downstream admits, waiting when it is full; then hands over. */
  async start(): Promise<void> {
    const p = this.process;
    let wait = 1;
    while (this.held.length > 0 && p.isConnected('out') && !p.isEnded('out')) {
      const k = entryOf(p, 'out>', 'admittance').ready()(this.held.length);
      if (k === 0) {
        // A process with several inputs (a zip) may take from this one after
        // another input delivered, without saying so: look again after a while
        // too, as thread-link readers do (offerAgain).
        await Promise.race([p.whenWritableAgain('out'), new Promise((resolve) => setTimeout(resolve, (wait = Math.min(wait * 2, 64))))]);
        continue;
      }
      wait = 1;
      const taken = this.held.splice(0, k);
      entryOf(p, 'out>', 'flow').ready()(taken, 0, k);
    }
    const downstream = p.peer('out');
    p.disconnect('out');
    p.io.unpin(p);
    p.remove();
    this.then(downstream);
  }
}
