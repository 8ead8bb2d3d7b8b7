import { describe, expect, it } from 'vitest';
import {
  formatAddress, fullAddress, hostId, hostIndex, localAddress, MAX_HOST_INDEX, MAX_OBJECT_INDEX, MAX_PORT,
  objectId, objectIndex, objectOf, portOf, splitAddress,
} from '../../engine/address.js';

describe('addresses <host:20><object:28><port:16>', () => {
  const cases: [number, number, number][] = [
    [0, 1, 0],
    [1, 1, 1],
    [MAX_HOST_INDEX, MAX_OBJECT_INDEX, MAX_PORT],
    [MAX_HOST_INDEX, 1, 0],
    [0, MAX_OBJECT_INDEX, 0],
    [0, 1, MAX_PORT],
    [12345, 7654321, 4242],
  ];

  it.each(cases)('round-trips host %i, object %i, port %i', (h, o, p) => {
    const address = fullAddress(hostId(h), objectId(o), p);
    const parts = splitAddress(address);
    expect(hostIndex(parts.host)).toBe(h);
    expect(objectIndex(parts.object)).toBe(o);
    expect(parts.port).toBe(p);
    const local = localAddress(objectId(o), p);
    expect(typeof local).toBe('number');
    expect(objectOf(local)).toBe(objectId(o));
    expect(portOf(local)).toBe(p);
  });

  it('keeps components in their final bit positions', () => {
    expect(hostId(1)).toBe(1n << 44n);
    expect(hostId(MAX_HOST_INDEX) & ((1n << 44n) - 1n)).toBe(0n);
    expect(objectId(1)).toBe(65536);
    expect(objectId(MAX_OBJECT_INDEX) % 65536).toBe(0);
    expect(fullAddress(hostId(MAX_HOST_INDEX), objectId(MAX_OBJECT_INDEX), MAX_PORT)).toBe((1n << 64n) - 1n);
  });

  it('keeps the local part within a Number', () => {
    const local = localAddress(objectId(MAX_OBJECT_INDEX), MAX_PORT);
    expect(local).toBe(2 ** 44 - 1);
    expect(Number.isSafeInteger(local)).toBe(true);
  });

  it('refuses components out of range', () => {
    expect(() => objectId(0)).toThrow(/object index 0/);
    expect(() => objectId(MAX_OBJECT_INDEX + 1)).toThrow(RangeError);
    expect(() => hostId(MAX_HOST_INDEX + 1)).toThrow(RangeError);
    expect(() => localAddress(objectId(1), MAX_PORT + 1)).toThrow(/port 65536/);
    expect(() => fullAddress(1n, objectId(1), 0)).toThrow(/low 44 bits/);
    expect(() => splitAddress(1n << 64n)).toThrow(RangeError);
  });

  it('formats as host:object:port', () => {
    expect(formatAddress(fullAddress(hostId(3), objectId(91), 7))).toBe('3:91:7');
  });
});
