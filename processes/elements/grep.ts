// grep(p): keeps the elements for which p(x) is true.
//
// Writes fuse into the loop. A write of n admits what the target admits for n:
// at most n come out, so that is always safe. Reads cannot know in advance how
// many elements will pass, so they pull upstream into `pending` and admit
// exactly what is pending; p runs once per element either way.
import { admitWith, chunk, define, each, predicate, type Instance } from '../../engine/definition.js';
import { pull } from './pull.js';
import { int, manifestOf } from '../manifest/manifest.js';

type Grep = Instance<{ p: (x: unknown) => unknown }, { pending: unknown[] }>;

function fill(g: Grep, n: number): unknown[] {
  const { pending } = g.state;
  const { p } = g.params;
  const scratch: unknown[] = [];
  while (pending.length < n) {
    scratch.length = 0;
    const got = pull(g, 'in', scratch, 0, n - pending.length);
    if (got === 0) break;
    for (let i = 0; i < got; i++) if (p(scratch[i])) pending.push(scratch[i]);
  }
  return pending;
}

export const grep = define('grep', {
  ports: ['in', 'out'],
  inputs: ['in'],
  params: { p: predicate() },
  state: { pending: (): unknown[] => [] },
})
  .flow('>in', each('if (p(x)) emit(x)', 'out>'))
  .admittance('<out', admitWith((g, n) => fill(g, n).length))
  .flow('<out', chunk((g, xs, offset, n) => {
    const pending = fill(g, n);
    const k = Math.min(n, pending.length);
    for (let i = 0; i < k; i++) (xs as unknown[])[offset + i] = pending[i];
    pending.splice(0, k);
    return k;
  }));

/** Plain reference implementation, for the equivalence test. */
export const reference = (xs: unknown[], { p }: { p: (x: unknown) => boolean }): unknown[] => xs.filter((x) => p(x));

export const manifest = manifestOf(grep, {
  reference,
  cases: [{ harness: 'element', readable: true, params: (r) => { const m = 2 + int(r, 3); return { p: (x: number) => x % m === 0 }; } }],
  stages: [{
    name: 'grep', synopsis: 'grep [-vixwcF] PATTERN', args: 'grep',
    help: [
      'keep the records that match a JavaScript regular',
      'expression (plain text matches as it is); /RE/FLAGS',
      'adds JavaScript flags (d i m s u v); -F a fixed',
      'string, -e PATTERN one more pattern (or one that starts',
      'with "-"; so does -- PATTERN), -v those that do not',
      'match, -i ignore case, -x whole line, -w whole word,',
      '-c count them. grep never runs code: see filter',
    ],
    build: (chain, _, c) => chain.grep(c.matcher()),
  }, {
    name: 'filter', synopsis: 'filter EXPR', args: 'expression',
    help: [
      'keep the records for which the JavaScript EXPR is',
      "true: a function such as 'x => x.length > 80' or an",
      "expression in x such as 'x.length > 80'",
    ],
    build: (chain, [expression], c) => {
      const p = c.compile(expression);
      return chain.grep((x) => p(c.text(x)));
    },
  }],
});
