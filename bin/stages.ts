// The command line's stages, read from the processes' manifests: which words
// are stages, what arguments each takes (parsed in args.ts), its help lines
// (usage.ts holds the help text, checked against these by test/cli/stages.test.ts)
// and how it is added to a chain (cli.ts).
import type { Stage as StageDescription } from '../processes/manifest/manifest.js';
import { registry } from '../processes/registry.js';

export type { StageDescription };

/** Every stage by name. */
export const STAGE_TABLE: ReadonlyMap<string, StageDescription> = new Map(
  [...registry.values()].flatMap((m) => (m.stages ?? []).map((s) => [s.name, s] as const)),
);

/** Where the text of a stage's help starts. */
const HELP_COLUMN = 25;

/**
 * The "Stages:" section of the help, in alphabetical order; a stage without
 * help lines (lower) is listed with the one before it (upper, lower).
 */
export function stagesHelp(): string {
  const lines: string[] = [];
  const described = [...STAGE_TABLE.values()].filter((s) => s.help !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  for (const s of described) {
    s.help!.forEach((text, i) => {
      const head = i === 0 ? `  ${s.synopsis}` : '';
      lines.push(`${head.padEnd(HELP_COLUMN - 1)} ${text}`);
    });
  }
  return `Stages:\n${lines.join('\n')}\n`;
}
