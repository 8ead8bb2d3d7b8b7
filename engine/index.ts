// The public API.
export * from './address.js';
export { Definition, DefinitionError, define, each, chunk, admitWith, jit, jitAdmit } from './definition.js';
export { code, literal, Name, Code } from '../codegen/code.js';
export { Flowable, intersect, union, add } from './flowable.js';
export { IO } from '../api/io.js';
export { Process, PortError } from './process.js';
export { SpecError, parseSpec } from './spec.js';
export { Scheduler, type SchedulerOptions, type Task } from './scheduler.js';
export { CompileError, clearShapeCache } from '../jit/compile.js';
export { explain } from '../jit/explain.js';
export { FlowError } from '../jit/runtime.js';
export { stats, snapshot, since } from '../jit/stats.js';
export * from '../processes/index.js';
// Every process definition, by name, including those whose names the rule builders use (each, union).
export * as processes from '../processes/index.js';
// The port lifecycle (connect, close, move, waits) as one namespace: its verbs are too generic to export flat.
export * as ports from './ports.js';
