// router(key): each element goes to the member out[key(x)]. It admits what the
// least willing connected member admits, since any element may go anywhere. A
// key that names no connected member is an error naming the key and the
// members there are.
//
// A member whose reader has ended (a take that has all it wanted) holds nobody
// back: its elements are dropped, the other members go on, and the input ends
// once every member has ended (as for copy).
import { define, jit, value } from '../../engine/definition.js';
import { code, join } from '../../codegen/code.js';
import type { Process } from '../../engine/process.js';
import { int, manifestOf } from '../manifest/manifest.js';

/** The rare path: a key with no open member. Dropped if its member has ended; an error if there is none. */
function unrouted(r: Process, key: unknown): void {
  const members = r.members('out');
  if (members.some((n) => r.isEnded(n) && r.portName(n) === `out[${String(key)}]`)) return;
  const connected = members.map((n) => r.portName(n)).join(', ') || 'none';
  throw new RangeError(`${r.label}: key ${String(key)} names no connected output (connected: ${connected})`);
}

export const router = define('router', {
  ports: ['in', 'out[]'],
  inputs: ['in'],
  params: { key: value<(x: unknown) => unknown>() },
  onEnd: (r, port) => {
    // The input ended: every member has everything. A member ended: the others go on.
    if (port === 'in') r.endOthers('in');
  },
})
  .admittance('>in', 'out[]>')
  .flow('>in', jit((g) => {
    const members = g.members('out[]>');
    const i = g.fresh('i');
    const x = g.fresh('x');
    const k = g.fresh('k');
    // out[3]> is member 3: the key names the member, not its rank among the connected ones.
    const branches = members.map((m) => code`if (${k} === ${Number(/\[(\d+)\]/.exec(m)![1])}) {\n${g.element(m, x)}\n}`);
    const fail = code`${g.constant(unrouted, 'unrouted')}(${g.self()}, ${k});`;
    return code`for (let ${i} = ${g.start}; ${i} < ${g.end}; ${i}++) {\nconst ${x} = ${g.xs}[${i}];\nconst ${k} = ${g.param('key')}(${x});\n${join(branches, ' else ')}${members.length > 0 ? code` else ` : code``}{ ${fail} }\n}`;
  }));

/** Plain reference implementation: element i goes to output key(x). */
export function reference(xs: unknown[], { key, members }: { key: (x: unknown) => number; members: number }): unknown[][] {
  const out: unknown[][] = Array.from({ length: members }, () => []);
  for (const x of xs) out[key(x)].push(x);
  return out;
}

export const manifest = manifestOf(router, {
  reference,
  cases: [{
    harness: 'fan-out',
    params: (r) => { const k = 1 + int(r, 4); return { key: (x: unknown) => Number(x) % k, members: k }; },
    members: (p) => Number(p.members),
  }],
});
