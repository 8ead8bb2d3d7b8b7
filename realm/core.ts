/**
 * The state behind a realm. The public `Realm` object is a thin facade over
 * one of these; the kernel and the signal, proclamation and subscription
 * modules work on cores so that none of them needs the facade.
 */
import type { Kernel } from './kernel.js';
import type { Entry, ProclamationHandle } from './proclamations.js';
import type { PendingSignal, Trap } from './signals.js';
import type { Subscription } from './subscriptions.js';
import type { FieldSource } from './fields.js';
import type { Realm } from './realm.js';
import type { RealmBoundary } from './boundary.js';

export class RealmCore {
  readonly label: string;
  stopped = false;
  /** Set right after construction by the facade that owns this core. */
  facade!: Realm;
  readonly children = new Set<RealmCore>();

  // The realm as a map.
  readonly fields = new Map<string, unknown>();
  prototype: FieldSource | null;

  // Proclamations pinned to this realm, one entry per distinct tuple.
  readonly store = new Map<string, Entry>();
  readonly byTopic = new Map<string, Set<Entry>>();
  /** Proclamations this realm made, wherever they are pinned. */
  readonly owned = new Set<ProclamationHandle>();

  // Subscriptions observing this realm, indexed so that a new tuple only
  // visits the subscriptions that could match it.
  readonly subsByTopic = new Map<string, Set<Subscription>>();
  readonly subsAnyTopic = new Set<Subscription>();
  readonly signalSubs = new Set<Subscription>();
  /** Subscriptions this realm made, wherever they observe. */
  readonly ownedSubs = new Set<Subscription>();

  /** Signal traps installed on this realm; the newest is asked first. */
  readonly traps: Trap[] = [];
  /** Traps this realm installed, wherever they sit. */
  readonly ownedTraps = new Set<Trap>();
  /** Signals this realm sent that are not answered yet. */
  readonly sent = new Set<PendingSignal>();
  /** Signals this realm's handlers trapped and have not answered yet. */
  readonly trapped = new Set<PendingSignal>();
  /** Signals raised in turns not committed yet: they count against the bound too. */
  raising = 0;
  /** How many signals this realm may have pending; undefined: the World's bound. */
  maxPendingSignals: number | undefined = undefined;
  /** Where this realm meets the outside of its World (realm/boundary.ts), if it is bound. */
  boundary: RealmBoundary | undefined = undefined;

  constructor(
    readonly kernel: Kernel,
    readonly id: number,
    readonly name: string,
    readonly parent: RealmCore | null,
    readonly detached: boolean,
    prototype: FieldSource | null,
  ) {
    this.label = name ? `r${id}:${name}` : `r${id}`;
    this.prototype = prototype;
  }
}
