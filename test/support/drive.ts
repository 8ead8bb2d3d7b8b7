// Driving array sources by hand across a transport, for the transport tests.
import type { Process } from '../../engine/process.js';
import { pumpAll } from '../../processes/sources/from.js';

/**
 * Pushes the sources round-robin until each is done (pumpAll). When none can move,
 * `whenStuck` waits for whatever lets one of the blocked ones go on (records in
 * flight arriving, credit granted); nothing here decides by time, and a run
 * that never finishes fails by the test's timeout.
 */
export async function drive(sources: readonly Process[], whenStuck: (blocked: Process[]) => Promise<unknown>): Promise<void> {
  for (let blocked = pumpAll(sources); blocked.length > 0; blocked = pumpAll(blocked)) await whenStuck(blocked);
}
