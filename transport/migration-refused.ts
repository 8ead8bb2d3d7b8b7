// The refusal of a migration, wherever it is decided: the freeze on the host
// the processes leave (freezer/migrate.ts) or the host giving them back
// (transport/adopt.ts). Every problem at once, each with its process.

/** One thing that cannot be migrated, and the process that holds it. */
export interface MigrationProblem {
  /** The process, by label (`map#3`). */
  readonly process: string;
  /** The resource: `parameter 'f'`, `state field 'timer'`, `port 'in'`, … */
  readonly resource: string;
  readonly why: string;
}

/** The freeze refused: nothing moved. */
export class MigrationRefusedError extends Error {
  override name = 'MigrationRefusedError';
  constructor(readonly problems: readonly MigrationProblem[]) {
    super(`cannot migrate; nothing was moved:\n${problems.map((p) => `  - ${p.process} ${p.resource}: ${p.why}`).join('\n')}`);
  }
}
