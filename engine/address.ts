// 64-bit addresses: <host:20><object:28><port:16>.
//
// Components are always kept in their final bit positions: a host id has its
// low 44 bits zero, an object id has its low 16 bits zero. The local part
// (object | port) fits in 44 bits, so local work uses plain Numbers; BigInt
// appears only for full addresses at the API edge.

export const HOST_BITS = 20;
export const OBJECT_BITS = 28;
export const PORT_BITS = 16;

export const HOST_SHIFT = 44n;
export const OBJECT_UNIT = 0x1_0000; // 2 ** 16: object ids are multiples of this
export const PORT_MASK = 0xffff;
export const MAX_PORT = PORT_MASK;
export const MAX_OBJECT_INDEX = 2 ** OBJECT_BITS - 1;
export const MAX_HOST_INDEX = 2 ** HOST_BITS - 1;
export const LOCAL_LIMIT = 2 ** 44; // local parts are in [0, LOCAL_LIMIT)

/** Local address: object id (final position) plus port. A Number below 2**44. */
export type LocalAddress = number;
/** Object id in its final position: index * 2**16. Never 0 for a real process. */
export type ObjectId = number;
/** Host id in its final position: index << 44, low 44 bits zero. */
export type HostId = bigint;

export function objectId(index: number): ObjectId {
  if (!Number.isInteger(index) || index < 1 || index > MAX_OBJECT_INDEX) {
    throw new RangeError(`object index ${index} is outside 1..${MAX_OBJECT_INDEX}`);
  }
  return index * OBJECT_UNIT;
}

export function objectIndex(id: ObjectId): number {
  return Math.floor(id / OBJECT_UNIT);
}

export function hostId(index: number): HostId {
  if (!Number.isInteger(index) || index < 0 || index > MAX_HOST_INDEX) {
    throw new RangeError(`host index ${index} is outside 0..${MAX_HOST_INDEX}`);
  }
  return BigInt(index) << HOST_SHIFT;
}

export function hostIndex(host: HostId): number {
  return Number(host >> HOST_SHIFT);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) {
    throw new RangeError(`port ${port} is outside 0..${MAX_PORT}`);
  }
}

/** object | port, without BigInt. `object` must be in its final position. */
export function localAddress(object: ObjectId, port: number): LocalAddress {
  checkPort(port);
  return object + port;
}

export function objectOf(local: LocalAddress): ObjectId {
  return local - (local % OBJECT_UNIT);
}

export function portOf(local: LocalAddress): number {
  return local % OBJECT_UNIT;
}

/** Full 64-bit address from its three components, each in final position. */
export function fullAddress(host: HostId, object: ObjectId, port: number): bigint {
  checkPort(port);
  if ((host & ((1n << HOST_SHIFT) - 1n)) !== 0n) throw new RangeError('host id must have its low 44 bits zero');
  if (object % OBJECT_UNIT !== 0 || object < 0 || object >= LOCAL_LIMIT) {
    throw new RangeError(`object id ${object} is not a 28-bit id in its final position`);
  }
  return host | BigInt(object + port);
}

export interface AddressParts {
  host: HostId;
  object: ObjectId;
  port: number;
}

export function splitAddress(address: bigint): AddressParts {
  if (address < 0n || address >= 1n << 64n) throw new RangeError(`address ${address} is not a 64-bit unsigned value`);
  const local = Number(address & ((1n << HOST_SHIFT) - 1n));
  return { host: address & ~((1n << HOST_SHIFT) - 1n), object: objectOf(local), port: portOf(local) };
}

export function formatAddress(address: bigint): string {
  const { host, object, port } = splitAddress(address);
  return `${hostIndex(host)}:${objectIndex(object)}:${port}`;
}
