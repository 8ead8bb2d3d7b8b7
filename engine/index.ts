// The engine's API: addresses, definitions and their rule builders, the
// container, processes and the port lifecycle, and the seeded scheduler. It
// imports nothing from the JIT or above; the package entry (index.ts) adds the
// JIT's diagnostics, the processes, the chaining API, ports, TCP and realms.
export * from './address.js';
export { Definition, DefinitionError, define, each, chunk, admitWith, jit, jitAdmit } from './definition.js';
export { code, literal, Name, Code } from '../codegen/code.js';
export { Flowable, intersect, union, add } from './flowable.js';
export { IO } from './io.js';
export { Process, PortError } from './process.js';
export { SpecError, parseSpec } from './spec.js';
export { FlowError } from './errors.js';
export { Scheduler, type SchedulerOptions, type Task } from './scheduler.js';
// The port lifecycle (connect, close, move, waits) as one namespace: its verbs are too generic to export flat.
export * as ports from './ports.js';
