// The over-commit trap, found on the topology (the same in fused and
// interpreted mode).
//
// A broadcast (a copy) admits what every branch admits, measured once before
// the flow, then writes the chunk into each branch in member order. When two
// branches meet again on ONE port (through a merge), the port is written twice
// for one admittance: the second write was admitted in a state that the first
// has already changed (a take has fewer left, a buffer less room). That is the
// trap. Branches that meet on different ports of a process that combines them
// (zip's left and right) are not: each port gets each element once, and what
// comes out of the combination is produced once.
//
// A later branch behind slack (a buffer, which takes the chunk into its own
// room and hands on only what its output admits when asked) is safe: it asks
// again after the earlier branches have written. The earlier branch needs no
// slack, but the mend puts one on every branch that meets, so that the result
// does not depend on member order.
import type { Definition, FlowRule } from '../engine/definition.js';
import type { Process } from '../engine/process.js';
import { openMembers } from './replay.js';

/** Two branches of a broadcast that meet on one port. */
export interface Meeting {
  /** The broadcasting process and its range. */
  copy: Process;
  /** Member port numbers of the two branches, in flow order. */
  first: number;
  second: number;
  /** Where the branches first share a process (the merge), for messages. */
  at: Process;
  /** Every member that takes part in a meeting without slack on its way: each gets a buffer. */
  unprotected: number[];
}

/**
 * True when a write into the definition goes to every member of `range` (a
 * flow rule delegates to the whole range, as copy's '>in' => 'out[]>'). A
 * router also fans its admittance out over a range, but sends each element to
 * one member: its branches may meet again without over-committing.
 */
export function broadcasts(def: Definition, range: string): boolean {
  for (const rule of def.flowRules.values()) {
    const target = rule.kind === 'delegate' || rule.kind === 'each' ? rule.target : undefined;
    if (target !== undefined && target.frame === 'far' && target.range === range && target.member === undefined) return true;
  }
  return false;
}

/** One way a branch reaches a port. */
interface Arrival {
  member: number;
  /** Processes with chunk or JIT rules passed on the way (where branches may have been combined). */
  through: ReadonlySet<Process>;
  /** The processes on the way, in order, ending with the one reached. */
  path: readonly Process[];
  /** A slack process (a buffer) lies on the way. */
  slack: boolean;
}

/**
 * The first meeting of the open members of `copy`'s range `range` on one port,
 * if any. A meeting whose later branch is behind slack is no trap.
 */
export function findMeeting(copy: Process, range: string): Meeting | undefined {
  const members = openMembers(copy, copy.members(range));
  if (members.length < 2) return undefined;
  const arrivals = new Map<string, Arrival[]>();
  for (const member of members) walkBranch(copy, member, arrivals);
  let found: Meeting | undefined;
  const unprotected = new Set<number>();
  for (const list of arrivals.values()) {
    for (let j = 1; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = list[i];
        const b = list[j];
        if (a.member === b.member || b.slack || shares(a.through, b.through)) continue;
        if (!a.slack) unprotected.add(a.member);
        unprotected.add(b.member);
        found ??= { copy, first: a.member, second: b.member, at: firstShared(a.path, b.path), unprotected: [] };
      }
    }
  }
  if (found) found.unprotected = [...unprotected].sort((x, y) => x - y);
  return found;
}

/** The text of the refusal in strict mode: what meets where, and what to add. */
export function meetingMessage(m: Meeting): string {
  const p = m.copy;
  return `${p.label}: ${p.portName(m.first)} and ${p.portName(m.second)} both reach ${m.at.label} inside one fused flow, so a write admitted once would be delivered there twice (over-commit). Put a buffer on each branch (for example .buffer(n) after each output of ${p.label}) so that every branch has its own slack.`;
}

/** Records every port the branch on `member` writes into, in the same flow. */
function walkBranch(copy: Process, member: number, arrivals: Map<string, Arrival[]>): void {
  const seen = new Set<string>();
  const stack: { from: Process; port: number; through: Set<Process>; path: Process[]; slack: boolean }[] = [
    { from: copy, port: member, through: new Set(), path: [], slack: false },
  ];
  while (stack.length > 0) {
    const { from, port, through, path, slack } = stack.pop()!;
    const far = from.peer(port);
    if (!far) continue;
    const q = far.process;
    const farPort = q.portNumber(far.port);
    const key = `${q.id}:${farPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const here = [...path, q];
    const list = arrivals.get(key) ?? [];
    list.push({ member, through, path: here, slack });
    arrivals.set(key, list);
    const rule = ruleFor(q, `>${far.port}`);
    if (rule === undefined) continue;
    const combines = rule.kind === 'chunk' || rule.kind === 'jit';
    const next = combines ? new Set([...through, q]) : through;
    const behind = slack || q.def.slack;
    for (const out of outputsOf(q, rule)) stack.push({ from: q, port: out, through: next, path: here, slack: behind });
  }
}

/** The flow rule a write into `specText` of `p` runs, following delegations on `p` itself. */
function ruleFor(p: Process, specText: string): FlowRule | undefined {
  let spec = p.def.spec(specText);
  for (let hops = 0; hops < 64; hops++) {
    const rule = p.def.flowRules.get(spec.ruleText);
    if (rule === undefined || rule.kind !== 'delegate' || rule.target.frame === 'far') return rule;
    spec = rule.target;
  }
  return undefined;
}

/** The ports a rule may write on: its target's, or, for chunk and JIT rules, every output. */
function outputsOf(p: Process, rule: FlowRule): number[] {
  if (rule.kind === 'delegate' || rule.kind === 'each') {
    const target = rule.target;
    if (target === undefined) return [];
    if (target.range !== undefined && target.member === undefined) return openMembers(p, p.members(target.range));
    return [p.portNumber(target.port)];
  }
  const out: number[] = [];
  p.ports.forEach((far, n) => {
    if (far !== 0 && !p.def.isInput(n) && !p.isEnded(n)) out.push(n);
  });
  return out;
}

function shares(a: ReadonlySet<Process>, b: ReadonlySet<Process>): boolean {
  for (const p of a) if (b.has(p)) return true;
  return false;
}

function firstShared(a: readonly Process[], b: readonly Process[]): Process {
  const inA = new Set(a);
  return b.find((p) => inA.has(p)) ?? b[b.length - 1];
}

/** How the engine mends a meeting: installed by processes/topology/copy.ts (it puts a buffer on a branch). */
let mender: ((copy: Process, member: number) => Process) | undefined;

export function mendWith(fn: (copy: Process, member: number) => Process): void {
  mender = fn;
}

/** Buffers the engine inserted, with why: `explain` shows them. */
const inserted = new WeakMap<Process, string>();

export function insertedNote(p: Process): string | undefined {
  return inserted.get(p);
}

/** Puts a one-flow buffer on every unprotected branch of the meeting. */
export function mend(m: Meeting): void {
  if (mender === undefined) throw new Error('no over-commit mender installed (import processes/topology/copy.js)');
  for (const member of m.unprotected) {
    const b = mender(m.copy, member);
    inserted.set(b, `one flow of slack after ${m.copy.label} ${m.copy.portName(member)}: the branches of ${m.copy.label} meet again at ${m.at.label}, where a write admitted once must not be delivered twice (over-commit)`);
  }
}
