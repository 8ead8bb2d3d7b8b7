// The engine's errors, in one module. Each is re-exported from the module that
// throws it, so that existing imports keep working.

/** A definition is malformed (a port name, a rule, a snippet): thrown when the class is defined. */
export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

/** A port spec is malformed, names an unknown port or changes direction; it names the class, the spec and the column. */
export class SpecError extends Error {
  constructor(
    readonly processClass: string,
    readonly spec: string,
    readonly column: number,
    reason: string,
  ) {
    super(`${processClass}: bad spec ${JSON.stringify(spec)} at column ${column}: ${reason}`);
    this.name = 'SpecError';
  }
}

/** A port operation was refused: the port is taken, gone, or not one of the process's. */
export class PortError extends Error {
  override name = 'PortError';
}

/** A flow broke the rules of negotiated IO: more than admitted, less than admitted, or into nothing. */
export class FlowError extends Error {
  override name = 'FlowError';
}
