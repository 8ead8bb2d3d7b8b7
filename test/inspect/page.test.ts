// The inspector's page in a real browser, on a pipeline that runs while the
// test looks: every wait is for a condition on the page, never for a duration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { IO } from '../../index.js';
import '../../inspect/index.js';
import type { Inspector } from '../../inspect/index.js';
import { ARTIFACTS, hasChromium, launch, sayWhySkipped, type Browser } from './browser.js';

sayWhySkipped();

describe.skipIf(!hasChromium)('the inspector page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('[browser] shows every process, counts that grow while data flows and stop at end of stream, and a chain\'s source', async () => {
    const io = new IO();
    const input = new PassThrough({ objectMode: true });
    const sink = io.fromReadable<number>(input).grep((x: number) => x % 2 === 0).map((x: number) => x + 1).reduce((a: number, x: number) => a + x, 0);
    const inspector: Inspector = await io.inspect({ interval: 50 });
    try {
      const done = sink.completion();
      const page = await browser.context.newPage();
      await page.goto(inspector.url);

      // Every process of the pipeline is drawn and listed.
      const processes = io.graph().processes;
      expect(processes.map((p) => p.kind)).toEqual(['input', 'grep', 'map', 'reduce']);
      for (const p of processes) {
        await page.locator(`#process-${p.id}`).waitFor();
        await expect(page.locator(`#processes tr[data-process="${p.id}"]`).textContent()).resolves.toContain(p.label);
      }

      const grep = processes[1];
      const records = async (): Promise<number> => Number(await page.locator(`#ports tr[data-port="${grep.id}.in"]`).getAttribute('data-records'));
      const countAbove = (n: number) =>
        page.waitForFunction(([port, n]) => Number(document.querySelector(`#ports tr[data-port="${port}"]`)?.getAttribute('data-records') ?? -1) > n, [`${grep.id}.in`, n] as const);

      // Data flows: the count appears, then grows with the next batch.
      input.write(1);
      input.write(2);
      await countAbove(0);
      const first = await records();
      for (let x = 3; x <= 1000; x++) input.write(x);
      await countAbove(first);

      // End of stream: the count settles at everything that was written, and stays there.
      input.end();
      expect(await done).toBe(Array.from({ length: 500 }, (_, i) => 2 * (i + 1) + 1).reduce((a, x) => a + x, 0));
      await page.waitForFunction(([port]) => document.querySelector(`#ports tr[data-port="${port}"]`)?.getAttribute('data-records') === '1000', [`${grep.id}.in`] as const);
      await page.waitForFunction(() => /end of stream/.test(document.getElementById('ended')?.textContent ?? ''));
      const tick = Number(await page.locator('body').getAttribute('data-tick'));
      await page.waitForFunction((t) => Number(document.body.dataset.tick) >= t + 2, tick);
      expect(await records()).toBe(1000);

      // A click on the fused chain shows the function it compiled to.
      await page.locator('.chain text').first().click();
      await page.waitForFunction(() => /slots:/.test(document.getElementById('source')?.textContent ?? ''));
      expect(await page.locator('#source').textContent()).toMatch(/function chain_\d+_grep_map_reduce/);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'inspector.png') });
      await page.close();
    } finally {
      await inspector.close();
    }
  }, 90_000);
});
