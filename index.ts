// The package's one entry (package.json's `exports`): the engine with its
// chains, processes, ports, realms and errors, and above it the pictures and the
// live inspector (io.graph(), io.inspect()), whose heavy parts load on first use.
// It stands above every layer, so that no layer has to import one above it.
export * from './engine/index.js';
export { renderGraph, writeGraph, graphFormat, inspect, graphFlag, inspectFlag, inspectPort, type Graph, type GraphFormat, type Inspector, type InspectOptions } from './inspect/index.js';
// Snapshots: io.snapshot(file) and IO.restore(file) (docs/freezer.md).
export * from './freezer/index.js';
