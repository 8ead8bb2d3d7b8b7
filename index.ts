// The package's one entry (package.json's `exports`): everything a user needs,
// with types. It stands above every layer, so that no layer has to import one
// above it: the engine (engine/index.ts) does not know the processes, the
// chaining API, ports, TCP, realms or the inspector that are assembled here.
//
//   import { IO } from 'pushback-ts';
//   const io = new IO();
//   io.from([1, 2, 3]).map((x) => x * 2).collect().run();   // [2, 4, 6]

// The engine reaches the JIT and the realms through hooks that those install
// when they load (engine/hooks.ts): load both, whatever else is used.
import './jit/entries.js';
import './realm/engine.js';

// The engine: addresses, definitions and their rule builders (define, each,
// chunk, jit, ...), the container, Process, the port lifecycle as `ports`,
// negotiated IO (Flowable, intersect, union, add) and the seeded Scheduler.
export * from './engine/index.js';
// The rule builders keep their names; the processes of the same names are `processes.each` and `processes.union`.
export { each, union } from './engine/index.js';
// The JIT's diagnostics: what a chain compiled to, and how often.
export { CompileError, clearShapeCache } from './jit/compile.js';
export { explain } from './jit/explain.js';
export { stats, snapshot, since } from './jit/stats.js';

// The user's container: the engine's IO with the sources (from, file, stdin,
// read, fromReadable, fromWeb, fromAsync), merge and zip, graph and inspect.
export { IO, type SourceOptions } from './api/io.js';
// The chaining API: every step a member of Chain; what a chain ends in is a Result
// (a Sink, or for the reducers that emit, a Reduction that is a Chain as well).
export { Chain, Sink, Reduction, type Result, type Byte, type Predicate } from './api/chain.js';
// Placement on the container's worker threads (docs/workers.md): chain.parallel(n), chain.on(worker).
export { ParallelChain, type Combining } from './api/chain.js';
export { importFunction, type ParallelOptions } from './api/parallel.js';
export type { IOOptions } from './api/io.js';
export { HostLostError, type ParallelStats } from './transport/parallel-run.js';
export { StepError } from './transport/chunk-runner.js';

// Every process definition by name, and the support a new process needs.
export * from './processes/index.js';
// The same, as one namespace, including those whose names the rule builders use (each, union).
export * as processes from './processes/index.js';

// Ports you can hold, the server pattern, and TCP.
export { Port, serve, Acceptor, endpoint, relay, type Serve, type ServeOptions, type Pipeline, type PortState, type PortOptions, type ConnectOptions } from './net/endpoints.js';
export { tcpServer, tcpConnect, TcpServer, TimeoutError, socket, type TcpServerOptions, type TcpConnectOptions } from './net/tcp.js';

// Realms: supervised chains (onError('realm'), within), sandboxed IO, and the
// control plane itself, flat for its main names and whole as `realms`.
export { supervise, gate, type RealmSnapshotOptions } from './api/realm.js';
export { sandbox, readOnlyIO, readOnlyCapabilities, type SandboxIO, type SandboxOptions } from './sandbox/sandbox.js';
export {
  World, Realm, Signal, Empty, isEmpty, Trace, Vassal, raiseError, ERROR_TOPIC,
  type WorldOptions, type RealmOptions, type ErrorReport, type ErrorDecision, type Match, type Pattern, type Tuple, type Rule, type RuleList,
} from './realm/index.js';
export * as realms from './realm/index.js';

// Errors, each where a user meets it (besides DefinitionError, SpecError,
// PortError, CompileError and FlowError from the engine, JsonlError and
// ReadError from the processes, TimeoutError from TCP).
export { RetryBudgetError } from './engine/policy.js';
export { NotANumber } from './processes/bytes/numbers.js';
export { CapabilityError, RealmStoppedError, SignalOverflowError } from './realm/index.js';

// Seeing a pipeline: pictures (SVG laid out by ELK, or DOT) and the live
// inspector, whose heavy parts load on first use.
export { renderGraph, writeGraph, graphFormat, inspect, graphFlag, inspectFlag, inspectPort, type Graph, type GraphFormat, type Inspector, type InspectOptions } from './inspect/index.js';
// Many machines (docs/cluster.md): joining, networked realms and cross-host
// ports on NATS JetStream; the NATS client loads only when one of them is called.
export { joinCluster, bindRealm, CLUSTER_VARIABLE, type ClusterHost, type ClusterOptions, type JoinOptions, type NetworkedRealm, type NetworkedRealmOptions } from './api/cluster.js';
// Placing the rest of a chain on another host: io.remoteHost(id), io.hosts(), chain.on(host).
export { RemoteHost, type RemoteHostState } from './api/remote-host.js';
export { PlacedHostLostError, type PlacementOptions } from './api/remote-section.js';
export { PlacementRefusedError, PlacementUnansweredError } from './cluster/placement-messages.js';
export { readFromCluster, writeToCluster, type ClusterEnd } from './api/cluster-ports.js';

// Snapshots: io.snapshot(file) and IO.restore(file) (docs/freezer.md).
export * from './freezer/index.js';
// Migration to a worker thread or to another host of the cluster; this
// migrate takes the place of the thread-only one exported by freezer/index.js.
export { migrate, type ClusterMigrateOptions } from './api/migrate.js';
