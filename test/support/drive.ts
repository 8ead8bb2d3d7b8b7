// Driving array sources by hand across a transport, for the transport tests.
import type { Process } from '../../engine/process.js';
import { pumpOnce } from '../../processes/sources/from.js';

/**
 * Pushes the sources round-robin until each is done. When none can move,
 * `whenStuck` waits for whatever lets one of the blocked ones go on (records in
 * flight arriving, credit granted); nothing here decides by time, and a run
 * that never finishes fails by the test's timeout.
 */
export async function drive(sources: readonly Process[], whenStuck: (blocked: Process[]) => Promise<unknown>): Promise<void> {
  let active = [...sources];
  while (active.length > 0) {
    let moved = false;
    const next: Process[] = [];
    for (const s of active) {
      const r = pumpOnce(s);
      if (r === 'moved') moved = true;
      if (r === 'moved' || r === 'blocked') next.push(s);
    }
    active = next;
    if (!moved && active.length > 0) await whenStuck(active);
  }
}
