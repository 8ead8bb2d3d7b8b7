// Every registered process, and the chaining API that attaches `from` to IO.
export { buffer, buffered, drain } from './topology/buffer.js';
export { cat } from './elements/cat.js';
export { Chain, Sink } from '../api/chain.js';
export { collect } from './sinks/collect.js';
export { drop } from './elements/drop.js';
export { each } from './sinks/each.js';
export { from, pump } from './sources/from.js';
export { grep } from './elements/grep.js';
export { map } from './elements/map.js';
export { reduce } from './sinks/reduce.js';
export { scan } from './elements/scan.js';
export { take } from './elements/take.js';
export { registry, type Registered } from './registry.js';
// Real IO: byte sources and sinks, framing, reducers that emit, and the IO chaining API.
export { input, CHUNK_SIZE } from './sources/input.js';
export { output, HIGH_WATER } from './sinks/output.js';
export { iterate } from './sinks/iterate.js';
export { lines } from './bytes/lines.js';
export { unlines } from './bytes/unlines.js';
export { jsonl, JsonlError, type JsonlOptions } from './elements/jsonl.js';
export { stringify, record } from './elements/stringify.js';
export { split, splitter } from './elements/split.js';
export { fields, picker } from './elements/fields.js';
export { uniq } from './elements/uniq.js';
export { count } from './sinks/count.js';
export { fold } from './sinks/fold.js';
export { filterMap } from './elements/filter-map.js';
export { tap } from './elements/tap.js';
export { tr } from './bytes/tr.js';
export { mapBytes } from './bytes/map-bytes.js';
export * from './sources/readers.js';
export * from './sinks/writers.js';
// The IO chaining API installs itself on IO, Chain and Sink when imported.
export * from '../api/chain-io.js';
export { UserCodeError, SKIP, checkPolicy, type ErrorPolicy, type ErrorReporter } from '../engine/policy.js';
export { ByteAccount, bytesHeld } from '../engine/bytes.js';
export { Run, registerDriver, finishesWhen, aborted } from '../engine/run.js';
export { copy } from './topology/copy.js';
export { union } from './topology/union.js';
export { router } from './topology/router.js';
export { zip } from './topology/zip.js';
export { flatMap } from './elements/flat-map.js';
export { fromArrays } from './sources/from-arrays.js';
import '../api/chain-multiport.js';
// Ports you can hold, the server pattern, and TCP.
export { Port, serve, Acceptor, endpoint, relay, type Serve, type ServeOptions, type Pipeline, type PortState } from '../net/endpoints.js';
export { tcpServer, tcpConnect, TcpServer, TimeoutError, socket, type TcpServerOptions, type TcpConnectOptions } from '../net/tcp.js';
// Realms in the engine: supervised chains (onError('realm')) and sandboxed IO.
export { sandbox, readOnlyIO, supervise, gate, type SandboxIO, type SandboxOptions } from '../api/realm.js';
