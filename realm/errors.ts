/** A stopped realm refuses new work; this names it so the mistake is easy to find. */
export class RealmStoppedError extends Error {
  constructor(readonly realm: string, operation: string) {
    super(`realm ${realm} is stopped: cannot ${operation}`);
    this.name = 'RealmStoppedError';
  }
}

/** Thrown when an attenuated object (a vassal of a plain object) refuses a call. */
export class CapabilityError extends Error {
  constructor(readonly holder: string, readonly capability: string) {
    super(`${holder}: capability '${capability}' is not granted`);
    this.name = 'CapabilityError';
  }
}

/**
 * A realm has as many signals pending (sent, not yet answered) as its bound
 * allows: a new one is refused at once, before anything is sent, so that a
 * sender faster than its handler cannot fill memory. Waiting for a reply
 * frees a place.
 */
export class SignalOverflowError extends Error {
  constructor(readonly realm: string, readonly topic: string, readonly bound: number) {
    super(`realm ${realm} has ${bound} signals pending, its bound: #${topic} is refused (await replies before sending more, or raise maxPendingSignals)`);
    this.name = 'SignalOverflowError';
  }
}
