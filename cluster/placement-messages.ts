// What a host asks another host when it places the rest of a chain there
// (`chain.on(host)`, docs/cluster.md), and what it hears back. The request
// travels as a NATS request to the placing host's subject and the reply comes
// on the request's inbox; both go through the value codec, so the packed
// parameters (portable source text, values as bytes) cross as they are.
//
// The elements themselves never travel in these messages: they go out and
// come back through two cross-host connections (cluster/jetstream-link.ts)
// whose names the request carries.
import { decodeValues, encodeValues } from '../transport/codec.js';
import type { ResolverHeaders } from '../transport/dependencies.js';
import type { MigratedParam } from '../transport/adopt.js';
import type { StageSpec } from '../transport/parallel-messages.js';

/** Run these per-element steps between connection `input` (read) and `output` (written). */
export interface PlacementRequest {
  readonly kind: 'place';
  /** The asking host's index: the placed steps end with `host-lost` when it is lost. */
  readonly from: number;
  /** What the definitions and modules need; checked before anything else. */
  readonly headers: ResolverHeaders;
  /** The steps, in order; the placing host fuses them into one chain. */
  readonly stages: readonly StageSpec[];
  /** The connection whose records the steps read. */
  readonly input: string;
  /** The connection the steps' outputs go to. */
  readonly output: string;
  /**
   * Outputs published and not yet stored, at most: the output connection's
   * window. It is also how long the placing host works before its event loop
   * turns again (reading heartbeats among the rest), so it stays small.
   */
  readonly chunk: number;
}

/**
 * Take over these running processes (a migration, `chain.migrate(host)`):
 * registered processes in chain order, each with the state it had where it
 * ran, to build between connection `input` (read) and `output` (written).
 * The same accept path as a placement (acceptChain), with state.
 */
export interface MigrationRequest {
  readonly kind: 'migrate';
  /** The migrating host's index: the processes end with `host-lost` when it is lost. */
  readonly from: number;
  readonly headers: ResolverHeaders;
  readonly processes: readonly {
    readonly name: string;
    readonly step: string;
    readonly params: Readonly<Record<string, MigratedParam>>;
    /** The state record through the value codec. */
    readonly state: Uint8Array;
  }[];
  readonly input: string;
  readonly output: string;
  /** As PlacementRequest.chunk. */
  readonly chunk: number;
}

export type PlacementReply =
  | { readonly kind: 'accepted'; readonly host: number; readonly labels: readonly string[] }
  | { readonly kind: 'refused'; readonly host: number; readonly name: string; readonly message: string; readonly missing?: readonly string[] };

/** The far host answered the request with a refusal other than missing dependencies (a function it found not portable, ...). */
export class PlacementRefusedError extends Error {
  override name = 'PlacementRefusedError';
  constructor(readonly host: number, readonly reason: string, message: string) {
    super(message);
  }
}

/** Nobody answers on the far host's placement subject, or not in time. */
export class PlacementUnansweredError extends Error {
  override name = 'PlacementUnansweredError';
  constructor(readonly host: number, readonly subject: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`host ${host}: no placement service answered on ${subject} (${why}); the host must join through its IO (new IO({ cluster }) or PUSHBACK_CLUSTER, then io.cluster())`, { cause });
  }
}

/** Host and bucket names are plain subject tokens (the bucket is checked by the server, the index is a number). */
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The subject a host's placement service answers on. The bucket is part of it:
 * two clusters sharing one server (two buckets) number their hosts separately.
 */
export function placementSubject(bucket: string, index: number): string {
  if (!TOKEN.test(bucket)) throw new RangeError(`cluster: bucket name ${JSON.stringify(bucket)} is not a plain subject token`);
  if (!Number.isInteger(index) || index < 1) throw new RangeError(`cluster: host index ${String(index)} is not a host index`);
  return `pushback.place.${bucket}.${index}`;
}

export function encodePlacement(message: PlacementRequest | MigrationRequest | PlacementReply): Uint8Array {
  return encodeValues([message], 'placement message');
}

/** Decodes a request; throws a RangeError naming what is wrong with one this module did not write. */
export function decodePlacementRequest(bytes: Uint8Array): PlacementRequest {
  const m = decodeValues(bytes)[0] as Partial<PlacementRequest> | undefined;
  if (m?.kind !== 'place' || !Number.isInteger(m.from) || !Array.isArray(m.stages) || typeof m.input !== 'string' || typeof m.output !== 'string' || !Number.isInteger(m.chunk) || m.chunk! < 1
    || !Array.isArray(m.headers?.definitions) || !Array.isArray(m.headers?.modules)) {
    throw new RangeError('not a placement request');
  }
  return m as PlacementRequest;
}

/** Decodes what a placement service is asked: a placement or a migration; throws a RangeError for anything else. */
export function decodeHostRequest(bytes: Uint8Array): PlacementRequest | MigrationRequest {
  const m = decodeValues(bytes)[0] as Partial<MigrationRequest> | undefined;
  if (m?.kind !== 'migrate') return decodePlacementRequest(bytes);
  if (!Number.isInteger(m.from) || !Array.isArray(m.processes) || typeof m.input !== 'string' || typeof m.output !== 'string' || !Number.isInteger(m.chunk) || m.chunk! < 1
    || !Array.isArray(m.headers?.definitions) || !Array.isArray(m.headers?.modules)
    || !m.processes.every((p) => typeof p?.name === 'string' && typeof p.step === 'string' && typeof p.params === 'object' && p.params !== null && p.state instanceof Uint8Array)) {
    throw new RangeError('not a migration request');
  }
  return m as MigrationRequest;
}

export function decodePlacementReply(bytes: Uint8Array): PlacementReply {
  const m = decodeValues(bytes)[0] as Partial<PlacementReply> | undefined;
  if (m?.kind !== 'accepted' && m?.kind !== 'refused') throw new RangeError('not a placement reply');
  return m as PlacementReply;
}
