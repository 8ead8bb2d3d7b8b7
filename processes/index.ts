// Every registered process, and the chaining API that attaches `from` to IO.
export { buffer, buffered, drain } from './buffer.js';
export { cat } from './cat.js';
export { Chain, Sink } from './chain.js';
export { collect } from './collect.js';
export { drop } from './drop.js';
export { each } from './each.js';
export { from, pump } from './from.js';
export { grep } from './grep.js';
export { map } from './map.js';
export { reduce } from './reduce.js';
export { scan } from './scan.js';
export { take } from './take.js';
export { registry, register, type Registered } from './registry.js';
// Real IO: byte sources and sinks, framing, reducers that emit, and the IO chaining API.
export { input, CHUNK_SIZE } from './input.js';
export { output, HIGH_WATER } from './output.js';
export { iterate } from './iterate.js';
export { lines } from './lines.js';
export { unlines } from './unlines.js';
export { jsonl, JsonlError, type JsonlOptions } from './jsonl.js';
export { stringify, record } from './stringify.js';
export { split, splitter } from './split.js';
export { fields, picker } from './fields.js';
export { uniq } from './uniq.js';
export { count } from './count.js';
export { fold } from './fold.js';
export { filterMap } from './filter-map.js';
export { tap } from './tap.js';
export { tr } from './tr.js';
export { mapBytes } from './map-bytes.js';
export * from './readers.js';
export * from './writers.js';
// The IO chaining API installs itself on IO, Chain and Sink when imported.
export * from './chain-io.js';
export { UserCodeError, SKIP, checkPolicy, type ErrorPolicy, type ErrorReporter } from '../engine/policy.js';
export { ByteAccount, bytesHeld } from '../engine/bytes.js';
export { Run, registerDriver, finishesWhen, aborted } from '../engine/run.js';
export { copy } from './copy.js';
export { union } from './union.js';
export { router } from './router.js';
export { zip } from './zip.js';
export { flatMap } from './flat_map.js';
export { fromArrays } from './from-arrays.js';
import './chain-multiport.js';
// Ports you can hold, the server pattern, and TCP.
export { Port, serve, Acceptor, endpoint, relay, type Serve, type ServeOptions, type Pipeline, type PortState } from './net.js';
export { tcpServer, tcpConnect, TcpServer, TimeoutError, socket, type TcpServerOptions, type TcpConnectOptions } from './tcp.js';
// Realms in the engine: supervised chains (onError('realm')) and sandboxed IO.
export { sandbox, readOnlyIO, supervise, gate, type SandboxIO, type SandboxOptions } from './realm.js';
