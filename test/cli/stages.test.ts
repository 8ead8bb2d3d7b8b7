// The command line's stages come from the processes' manifests: the words that
// are stages, their arguments, their help and how they are built. The help text
// (bin/usage.ts) is a literal, so that --help loads nothing else; this checks
// that its "Stages:" section is the one the manifests give.
import { describe, expect, it } from 'vitest';
import { STAGES } from '../../bin/args.js';
import { STAGE_TABLE, stagesHelp } from '../../bin/stages.js';
import { USAGE } from '../../bin/usage.js';
import { registry } from '../../processes/registry.js';

describe('stages from the manifests', () => {
  it('the help lists every stage with its manifest\'s lines', () => {
    const section = /\nStages:\n[\s\S]*?\n\n/.exec(USAGE)![0].slice(1, -1);
    expect(section).toBe(stagesHelp());
  });

  it('every stage a manifest declares is a word the command line takes, and no other', () => {
    const declared = [...registry.values()].flatMap((m) => (m.stages ?? []).map((s) => s.name));
    expect([...STAGES].sort()).toEqual([...declared].sort());
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('every stage is built by its manifest, or placed by the command line itself (lines, tr)', () => {
    const placed = [...STAGE_TABLE.values()].filter((s) => !s.build).map((s) => s.name).sort();
    expect(placed).toEqual(['lines', 'tr']);
  });
});
