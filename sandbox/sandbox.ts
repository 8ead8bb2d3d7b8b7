// Sandboxes: a vassal of the IO container for code that should hold less than
// everything. It stands above the chaining API and the ports, since what it
// grants or refuses are their methods, sockets included.
import type { IO } from '../api/io.js';
import type { Port, Serve } from '../net/endpoints.js';
import type { TcpConnectOptions, TcpServer, TcpServerOptions } from '../net/tcp.js';
import { CapabilityError } from '../realm/errors.js';
import { Membrane } from '../realm/membrane.js';
import type { Tuple } from '../realm/pattern.js';
import { applyRules, flattenRules, take, type Rule, type RuleList } from '../realm/vassal.js';

/** The IO container as a sandbox sees it: its methods, and sockets as capabilities of their own. */
export type SandboxIO = IO & {
  /** Connects to a TCP server (net/tcp.ts). */
  tcpConnect(options: TcpConnectOptions): Promise<Port>;
  /** Listens for TCP connections (net/tcp.ts). */
  tcpServer(handler: Serve, options?: TcpServerOptions): Promise<TcpServer>;
};

/**
 * The capabilities `readOnlyIO` grants: reading (files, stdin, arrays,
 * streams), transforming, collecting and reading results. Anything not named
 * here is refused, so a method added to the engine later is refused until it
 * is added here: writing files, standard output or streams, sockets, pipes
 * of arbitrary definitions, the realm, registering or removing processes.
 */
export const readOnlyCapabilities: readonly string[] = [
  // the container: sources
  'file', 'from', 'fromAsync', 'fromReadable', 'fromWeb', 'stdin', 'merge', 'zip',
  // chains: the transforming steps
  'array', 'buffer', 'cat', 'concatMap', 'copy', 'count', 'drop', 'each', 'fields', 'filter', 'flatMap', 'fold',
  'grep', 'jsonl', 'last', 'lines', 'lower', 'map', 'mapBytes', 'onError', 'reduce', 'scan', 'split', 'stringify',
  'sum', 'take', 'tee', 'tr', 'uniq', 'unlines', 'upper', 'explain',
  // chains and sinks: what they are, and their results
  'io', 'source', 'process', 'collect', 'completion', 'done', 'value', 'result', 'run',
  // processes: what they are
  'label', 'id', 'isEnded',
  // `for await (const x of chain)`
  'asyncIterator', 'next', 'return',
];

/** May read and transform; anything else is refused (an allowlist: see readOnlyCapabilities). */
export const readOnlyIO: readonly Rule[] = readOnlyCapabilities.map((name) => take(`.${name}`));

export interface SandboxOptions {
  /** Names the holder in refusals: "plugin: capability 'toFile' is not granted". */
  readonly name?: string;
}

/**
 * A vassal of the IO container for sandboxed code. Every call the code makes
 * on it, and on what it hands out (chains, sinks, processes, ports), is the
 * tuple `.method(args)` run through `rules` (see realm/vassal.ts): a
 * call no rule takes throws a CapabilityError naming the capability, before
 * anything happens. The sandbox is a membrane (realm/membrane.ts):
 * objects come back wrapped by the same rules, through every way of reaching
 * them (property descriptors, prototypes, arrays of results, errors,
 * promises, the arguments the engine passes to callbacks), and go back in
 * unwrapped; plain data passes as it is or as a copy.
 *
 * This attenuates what the code is handed. It cannot take away what the code
 * can import itself: run untrusted code where module imports are controlled.
 */
export function sandbox(io: IO, rules: RuleList, options: SandboxOptions = {}): SandboxIO {
  const holder = options.name ?? 'sandbox';
  const list = flattenRules(rules);
  const sockets: Record<string, (...args: never[]) => unknown> = {
    tcpConnect: (o: TcpConnectOptions) => import('../net/tcp.js').then((m) => m.tcpConnect(io, o)),
    tcpServer: (handler: Serve, o?: TcpServerOptions) => import('../net/tcp.js').then((m) => m.tcpServer(io, handler, o)),
  };
  const decide = (name: string, args: readonly unknown[]): Tuple => {
    const granted = applyRules(list, { kind: '.', topic: name, args }, 'egress').find((o) => o.mode === 'take');
    if (granted === undefined) throw new CapabilityError(holder, name);
    return granted.tuple;
  };
  return new Membrane({ holder, decide, extras: (target) => (target === io ? sockets : undefined) }).out(io) as SandboxIO;
}
