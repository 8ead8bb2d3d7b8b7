// A worker that dies must not leave the other end of its connections hanging.
// The thread that started it sees it go (its 'error' and 'exit' events) and
// resets every ring the worker was an end of, unless the worker's side had
// already finished: a writer that committed its end of stream, a reader that
// closed. The surviving end then sees reason `reset` with the detail "host
// lost", whether it was waiting at that moment or comes to the ring later.
import type { Worker } from 'node:worker_threads';
import { CONTROL_BYTES, FINISHED, READER_CLOSED, STATE, resetRing } from './ring-layout.js';

/** One ring the worker is an end of, and which end. */
export interface Attachment {
  readonly ring: SharedArrayBuffer;
  readonly role: 'writer' | 'reader';
}

/**
 * Resets the ring for a lost end, unless that end had finished its part.
 * Returns whether it reset.
 */
export function hostLost(attachment: Attachment, detail: string): boolean {
  const flags = Atomics.load(new Int32Array(attachment.ring, 0, CONTROL_BYTES / 4), STATE);
  const done = attachment.role === 'writer' ? flags & FINISHED : flags & READER_CLOSED;
  if (done) return false;
  resetRing(attachment.ring, detail);
  return true;
}

/**
 * Watches `worker`: when it throws or exits, the rings it is an end of are
 * reset with a detail naming it (`host` names it for people, for example the
 * host id and the process it ran).
 */
export function superviseWorker(worker: Worker, attachments: readonly Attachment[], host = `worker ${worker.threadId}`): void {
  let cause = '';
  worker.once('error', (e: unknown) => {
    cause = `: ${e instanceof Error ? e.message : String(e)}`;
  });
  worker.once('exit', (code: number) => {
    const detail = `host lost: ${host} exited with code ${code}${cause}`;
    for (const a of attachments) hostLost(a, detail);
  });
}
