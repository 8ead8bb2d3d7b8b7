// Values that cross hosts in a networked realm as they cross threads: the
// table the owner host proclaims and echoes (test/cluster/realm-host.ts) and
// the networked realm test compares with what arrives.
import { Empty } from '../../realm/empty.js';

export function crossingValues(): unknown[] {
  return [
    new Map<unknown, unknown>([['a', 1], [2, { b: [1n] }]]),
    new Set([1, 'two', null]),
    new Date(Date.UTC(2026, 10, 27, 12, 30)),
    new Uint16Array([1, 65535]),
    new Float64Array([0.5, -Infinity]),
    new Uint8Array([0, 255]),
    2n ** 80n,
    -1n,
    undefined,
    null,
    -0,
    NaN,
    [1, , 3], // eslint-disable-line no-sparse-arrays
    /a.b/giu,
    new RangeError('too far'),
    { list: [new Map(), new Set()], when: new Date(0), nothing: undefined },
    'line\u2028separator "quoted" */',
    { maybe: Empty, inside: [Empty], byKey: new Map([['k', Empty]]) },
  ];
}
