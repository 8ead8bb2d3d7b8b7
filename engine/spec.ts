// The port grammar. Every spec names one port and says who moves data which way:
//
//   '>in'   someone writes into this process's `in`
//   '<out'  someone reads from this process's `out`
//   'in<'   this process reads from the far end of its `in`
//   'out>'  this process writes to the far end of its `out`
//
// A spec is subject-verb-object with only the process-side noun written down,
// so '>in' and 'in>' are different frames of reference for the same port.
//
// A port range (declared as 'out[]') names many ports that share rules: a rule
// on 'out[]>' means "every connected member of out", a rule on '>in[]' applies
// to a write into any member, and a concrete member is written 'out[3]'.
import { SpecError } from './errors.js';

export { SpecError };

export type Direction = 'write' | 'read';
export type Frame = 'near' | 'far'; // near: someone acts on us; far: we act on our peer

export interface Spec {
  readonly text: string;
  /** The port as written: 'in', 'out[]' (a whole range) or 'out[3]' (one member). */
  readonly port: string;
  readonly direction: Direction;
  readonly frame: Frame;
  /** The range the port belongs to, if any. */
  readonly range?: string;
  /** The member number, for 'out[3]'; undefined for a fixed port or a whole range. */
  readonly member?: number;
  /** The text under which rules for this spec are declared ('>in[]' for '>in[3]'). */
  readonly ruleText: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Parses a spec; `ports` is the set of declared fixed port names of
 * `processClass` and `ranges` the names of its port ranges.
 */
export function parseSpec(processClass: string, text: string, ports: ReadonlySet<string>, ranges: ReadonlySet<string> = new Set()): Spec {
  if (typeof text !== 'string' || text.length === 0) {
    throw new SpecError(processClass, String(text), 1, 'a spec is one of >port, <port, port>, port<');
  }
  const first = text[0];
  const last = text[text.length - 1];
  let port: string;
  let direction: Direction;
  let frame: Frame;
  let portColumn: number;
  if (first === '>' || first === '<') {
    port = text.slice(1);
    direction = first === '>' ? 'write' : 'read';
    frame = 'near';
    portColumn = 2;
  } else if (last === '>' || last === '<') {
    port = text.slice(0, -1);
    direction = last === '>' ? 'write' : 'read';
    frame = 'far';
    portColumn = 1;
  } else {
    throw new SpecError(processClass, text, 1, 'expected a direction (> or <) before or after the port name');
  }
  const member = /^([A-Za-z_$][\w$]*)\[(\d*)\]$/.exec(port);
  if (member) {
    const [, range, index] = member;
    if (!ranges.has(range)) {
      throw new SpecError(processClass, text, portColumn, `${JSON.stringify(range)} is not a port range (ranges: ${[...ranges].join(', ') || 'none'})`);
    }
    const n = index === '' ? undefined : Number(index);
    if (n !== undefined && (!Number.isSafeInteger(n) || n > 65535)) {
      throw new SpecError(processClass, text, portColumn + range.length + 1, `member ${index} is out of range`);
    }
    const ruleText = frame === 'near' ? `${first}${range}[]` : `${range}[]${last}`;
    return { text, port, direction, frame, range, member: n, ruleText };
  }
  if (!IDENTIFIER.test(port)) {
    const bad = [...port].findIndex((c, i) => !(i === 0 ? /[A-Za-z_$]/ : /[\w$]/).test(c));
    throw new SpecError(processClass, text, portColumn + Math.max(bad, 0), `${JSON.stringify(port)} is not a port name`);
  }
  if (!ports.has(port)) {
    const names = [...ports, ...[...ranges].map((r) => `${r}[]`)];
    throw new SpecError(processClass, text, portColumn, `unknown port ${JSON.stringify(port)} (ports: ${names.join(', ')})`);
  }
  return { text, port, direction, frame, ruleText: text };
}

export function isSpecLike(text: string): boolean {
  return /^[<>][A-Za-z_$][\w$]*(\[\d*\])?$|^[A-Za-z_$][\w$]*(\[\d*\])?[<>]$/.test(text);
}

/** The spec as seen from the process on the other end of the connection. */
export function farSpec(spec: Spec, farPort: string): string {
  return spec.direction === 'write' ? `>${farPort}` : `<${farPort}`;
}
