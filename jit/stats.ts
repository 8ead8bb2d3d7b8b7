// Counters that let tests prove a change recompiled exactly what it should.
export interface JitStats {
  /** Generated functions loaded with `new Function` (shape-cache misses). */
  compiles: number;
  /** Entries bound to an already compiled shape. */
  cacheHits: number;
  /** Fresh entries marked stale by a topology change. */
  invalidations: number;
  /** Entries compiled again after being marked stale. */
  recompiles: number;
  /** Entries compiled again because a state field changed type. */
  retypes: number;
  /** Generated texts printed for reading (explain, PUSHBACK_JIT_DUMP); running a chain prints none. */
  printed: number;
}

export const stats: JitStats = { compiles: 0, cacheHits: 0, invalidations: 0, recompiles: 0, retypes: 0, printed: 0 };

export function snapshot(): JitStats {
  return { ...stats };
}

/** What happened since `before`. */
export function since(before: JitStats): JitStats {
  return {
    compiles: stats.compiles - before.compiles,
    cacheHits: stats.cacheHits - before.cacheHits,
    invalidations: stats.invalidations - before.invalidations,
    recompiles: stats.recompiles - before.recompiles,
    retypes: stats.retypes - before.retypes,
    printed: stats.printed - before.printed,
  };
}
