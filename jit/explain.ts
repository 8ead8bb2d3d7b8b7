// explain: the fused source of an entry, with every slot labelled.
import type { Process } from '../engine/process.js';
import type { EntryKind } from './entry.js';

export function explain(process: Process, spec: string, kind: EntryKind = 'flow'): string {
  const entry = process.entry(spec, kind);
  entry.ready();
  const chain = entry.chain!;
  const slots = chain.slots.map((s) => `//   ${s.name.text} = ${s.label}`);
  return [`// ${chain.name}: ${process.label} ${spec} ${kind} (shape ${chain.shape})`, '// slots:', ...slots, chain.source].join('\n');
}
