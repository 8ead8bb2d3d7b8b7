// Reads vitest's JSON report and says how many tests passed, failed and were
// skipped, and how many of those that need something outside the project (a
// service, a browser, a classic tool) ran and which were skipped, so that a skip
// in CI is visible. Such tests carry a tag in their own title or in
// a describe title around them: "[browser] ...", "[nats] ...", "[jq] ...".
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const tagged = new Map(); // tag -> { ran, skipped: [names] }
for (const file of report.testResults) {
  for (const t of file.assertionResults) {
    const tags = [...t.ancestorTitles, t.title].flatMap((s) => [...s.matchAll(/^\[([a-z][\w-]*)\]/g)].map((m) => m[1]));
    for (const tag of new Set(tags)) {
      const entry = tagged.get(tag) ?? { ran: 0, skipped: [] };
      if (t.status === 'passed' || t.status === 'failed') entry.ran++;
      else entry.skipped.push(t.fullName);
      tagged.set(tag, entry);
    }
  }
}
let ran = 0;
let skipped = 0;
for (const [tag, { ran: r, skipped: s }] of [...tagged].sort()) {
  ran += r;
  skipped += s.length;
  console.log(`needs ${tag}: ${r} ran, ${s.length} skipped`);
  for (const name of s) console.log(`  skipped: ${name}`);
}
console.log(`tests that need a service, a browser or a tool: ${ran} ran, ${skipped} skipped`);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
