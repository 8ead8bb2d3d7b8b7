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
