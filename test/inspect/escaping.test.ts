// Text in the pictures comes from the user's own names (realm names, here):
// it is escaped, never markup.
import { describe, expect, it } from 'vitest';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { map } from '../../processes/elements/map.js';
import { escape } from '../../inspect/svg.js';
import { renderGraph } from '../../inspect/index.js';
import { graphOf } from '../../inspect/graph.js';

const PAYLOADS = ['<script>alert(1)</script>', '"><svg onload=alert(1)>', "' onmouseover='x", '&lt;already&gt;', ']]><!--', '\u2028\u2029'];

describe('escaping in the pictures', { timeout: 60_000 }, () => {
  it('escape() leaves no markup character', () => {
    for (const s of PAYLOADS) expect(escape(s)).not.toMatch(/[<>"'&](?!#\d+;)/);
    expect(escape(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('a realm name with markup in it reaches the SVG as text only', async () => {
    for (const name of PAYLOADS) {
      const io = new IO();
      const realm = io.realm.child({ name });
      const p = new Process(io, map, { f: (x: unknown) => x }, realm);
      const graph = graphOf(io);
      expect(graph.processes[0].realm).toBe(realm.label);
      const picture = await renderGraph(graph, 'svg');
      if (/[<>"'&]/.test(name)) expect(picture).not.toContain(name);
      expect(picture).toContain(escape(`${p.label} in realm ${realm.label}`));
      expect(picture.match(/<script/g)).toBeNull();
      expect(picture).not.toContain('<svg onload');
    }
  });
});
