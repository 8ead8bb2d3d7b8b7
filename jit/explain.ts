// explain: the fused source of an entry, with every slot labelled, and the
// buffers the engine inserted on the way (against the over-commit trap).
import type { Process } from '../engine/process.js';
import type { EntryKind } from './entry.js';
import { insertedNote } from './overcommit.js';
import { entryOf } from './entries.js';

export function explain(process: Process, spec: string, kind: EntryKind = 'flow'): string {
  const entry = entryOf(process, spec, kind);
  entry.ready();
  const chain = entry.chain!;
  const slots = chain.slots.map((s) => `//   ${s.name.text} = ${s.label}`);
  const inserted = entry.registeredWith.flatMap((p) => {
    const note = insertedNote(p);
    return note === undefined ? [] : [`//   ${p.label}: ${note}`];
  });
  // A far-end spec (a source's 'out>') is served by the peer's entry: name the entry that runs.
  return [
    `// ${chain.name}: ${entry.start.label} ${entry.spec.text} ${kind} (shape ${chain.shape})`,
    '// slots:', ...slots,
    ...(inserted.length > 0 ? ['// inserted by the engine:', ...inserted] : []),
    chain.source,
  ].join('\n');
}
