// The example of docs/freezer.md, "To another machine", runs here against a
// private nats-server and must print exactly the text shown after it. (The
// page's other examples run in test/freezer: they need no server.)
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as apiIO from '../../api/io.js';
import { runDocExample } from '../support/doc-examples.js';
import { describeNats, startServer, type PrivateServer } from './server.js';

const guide = readFileSync(new URL('../../docs/freezer.md', import.meta.url), 'utf8');
const section = guide.slice(guide.indexOf('\n## To another machine\n'));
const example = /```ts\n([\s\S]*?)```\n\nIt prints[^\n]*\n\n```text\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));

describeNats('docs/freezer.md, "To another machine"', () => {
  let server: PrivateServer;
  const before = process.env.PUSHBACK_CLUSTER;
  beforeAll(async () => {
    server = await startServer();
    process.env.PUSHBACK_CLUSTER = server.url;
  }, 30_000);
  afterAll(async () => {
    if (before === undefined) delete process.env.PUSHBACK_CLUSTER;
    else process.env.PUSHBACK_CLUSTER = before;
    await server?.stop();
  });

  test('the example prints what the page says', async () => {
    expect(example, 'the section has a ```ts example and the ```text it prints').not.toBeNull();
    expect(await runDocExample(example![1]!, { '../api/io.js': apiIO })).toBe(example![2]);
  }, 60_000);
});
