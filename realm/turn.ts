/**
 * A turn is one run of a handler (or one external action). Its effects are
 * buffered and applied together when it commits, or discarded together when
 * it throws: other realms never see half a turn.
 */
import type { RealmCore } from './core.js';
import type { TurnKind } from './trace.js';

export interface Effect {
  /** Apply the effect at commit time. May schedule work; never runs user code. */
  apply(): void;
  /** Undo whatever was promised at buffer time, when the turn rolls back. */
  discard?(): void;
  /** For traces of rolled-back turns. */
  describe(): string;
}

export class Turn {
  readonly effects: Effect[] = [];
  /** Field writes are visible at once inside the turn; these undo them. */
  readonly undo: (() => void)[] = [];
  /**
   * Set while a subscription body runs: what the turn asserts belongs to that
   * match (a facet, in the Syndicated Actor Model) and ends with it.
   */
  facet: Facet | null = null;

  constructor(
    readonly id: number,
    readonly cause: number | null,
    /** The realm on whose behalf the turn runs: it owns what the turn proclaims. */
    public actor: RealmCore,
    readonly kind: TurnKind,
    readonly label: string,
  ) {}
}

/** What a subscription body asserted and subscribed to: withdrawn when its match goes away. */
export interface Facet {
  /** Made on the first assertion: most bodies assert nothing. */
  ends: (() => void)[] | undefined;
}
