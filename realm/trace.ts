/**
 * A record of turns, for debugging and for proving determinism: the same
 * inputs must give a byte-identical `text()`. Records therefore hold only
 * sequential ids and value descriptions: no timestamps, no random ids.
 */

export type TurnKind =
  | 'external' // code outside any handler acting on a realm
  | 'signal' // a handler trapping a signal
  | 'peek' // a handler seeing a copy of a signal
  | 'resume' // a sender's reply callback
  | 'added' // a subscription body for a new match
  | 'cleanup'; // a subscription cleanup after a match went away

export interface TurnRecord {
  readonly turn: number;
  /** The turn whose committed effects caused this one; null for external turns. */
  readonly cause: number | null;
  readonly realm: string;
  readonly kind: TurnKind;
  readonly label: string;
  /** What the commit did, in order (or what was discarded, when rolled back). */
  readonly effects: readonly string[];
  readonly outcome: 'committed' | 'rolled back';
  readonly error?: string;
}

export class Trace {
  readonly records: TurnRecord[] = [];

  add(record: TurnRecord): void {
    this.records.push(record);
  }

  clear(): void {
    this.records.length = 0;
  }

  /** One JSON object per line, in turn order. */
  text(): string {
    return this.records.map((r) => JSON.stringify(r)).join('\n');
  }
}
