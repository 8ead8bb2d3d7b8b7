// The example servers shown in docs/tcp.md answer as the guide says, and the
// guide shows their code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IO } from '../../index.js';
import { echoServer } from '../../examples/echo-server.js';
import { lineServer } from '../../examples/line-server.js';
import '../../processes/index.js';
import { tcpConnect, type TcpServer } from '../../net/tcp.js';

async function ask(io: IO, server: TcpServer, text: string): Promise<string> {
  const c = await tcpConnect(io, { port: server.port });
  await c.send(Buffer.from(text));
  c.end(); // FIN: the server still replies
  const reply = Buffer.concat((await c.readAll()) as Uint8Array[]).toString();
  c.close();
  return reply;
}

describe('docs/tcp.md', () => {
  it('the echo server echoes and the line server upper-cases each line', async () => {
    const io = new IO();
    const echo = await echoServer(io);
    const lines = await lineServer(io);
    expect(await ask(io, echo, 'hello\n')).toBe('hello\n');
    expect(await ask(io, lines, 'hello\nworld\n')).toBe('HELLO\nWORLD\n');
    await echo.close();
    await lines.close();
  }, 20_000);

  it('shows the examples as they are', () => {
    const doc = readFileSync(new URL('../../docs/tcp.md', import.meta.url), 'utf8');
    for (const file of ['echo-server.ts', 'line-server.ts']) {
      const source = readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8');
      const fn = /^export function [\s\S]*?^}$/m.exec(source)![0];
      expect(doc).toContain(fn);
    }
  });
});
