// The inspector's server: the token, where it binds, what it serves.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { IO } from '../../index.js';
import '../../inspect/index.js';
import type { Inspector } from '../../inspect/index.js';

const open: Inspector[] = [];
afterEach(async () => {
  for (const i of open.splice(0)) await i.close();
});

async function started(io: IO, options = {}): Promise<Inspector> {
  const i = await io.inspect(options);
  open.push(i);
  return i;
}

function path(i: Inspector, p: string, token: string | null = i.token): string {
  return `http://127.0.0.1:${i.port}${p}${token === null ? '' : `${p.includes('?') ? '&' : '?'}token=${token}`}`;
}

/** Reads server-sent events from `url` until `until` returns true for one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event's parsed JSON has its own shape
async function events(url: string, until: (name: string, data: any) => boolean): Promise<void> {
  const res = await fetch(url);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      text += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name && data && until(name, JSON.parse(data))) return;
      }
    }
  } finally {
    await reader.cancel();
  }
}

describe('the inspector server', { timeout: 60_000 }, () => {
  it('refuses every request without the right token', async () => {
    const i = await started(new IO());
    for (const p of ['/', '/page.js', '/events', '/graph.json', '/graph.svg', '/explain?chain=1', '/nothing']) {
      expect((await fetch(path(i, p, null))).status, p).toBe(403);
      expect((await fetch(path(i, p, 'a'.repeat(32)))).status, p).toBe(403);
      expect((await fetch(path(i, p, i.token.slice(0, 31)))).status, p).toBe(403);
    }
    const page = await fetch(i.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`/page.js?token=${i.token}`);
    expect(i.url).toBe(`http://127.0.0.1:${i.port}/?token=${i.token}`);
    expect(i.token).toMatch(/^[0-9a-f]{32}$/);
  });

  it('makes a new token for every inspector', async () => {
    const io = new IO();
    const a = await started(io);
    const b = await started(io);
    expect(a.token).not.toBe(b.token);
    expect((await fetch(path(a, '/graph.json', b.token))).status).toBe(403);
  });

  it('binds to 127.0.0.1 unless told otherwise, and only where asked', async () => {
    const i = await started(new IO());
    expect(i.host).toBe('127.0.0.1');
    // Not on the IPv6 loopback: only the address it was given.
    const refused = await new Promise<string>((resolve) => {
      const req = request({ host: '::1', port: i.port, path: `/?token=${i.token}` }, () => resolve('answered'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end();
    });
    expect(refused).not.toBe('answered');
  });

  it('is read-only: anything but GET and HEAD is refused', async () => {
    const i = await started(new IO());
    expect((await fetch(i.url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('serves the topology, its picture and live samples with counts', async () => {
    const io = new IO();
    const sink = io.from([1, 2, 3, 4]).grep((x: number) => x > 1).map((x: number) => x * 10).reduce((a: number, x: number) => a + x, 0);
    const i = await started(io, { interval: 20 });
    expect(sink.run()).toBe(90);
    const graph = await (await fetch(path(i, '/graph.json'))).json();
    expect(graph.processes.map((p: { label: string }) => p.label)).toEqual(['from#1', 'grep#2', 'map#3', 'reduce#4']);
    const chain = graph.chains[0];
    const picture = await (await fetch(path(i, '/graph.svg'))).text();
    expect(picture).toMatch(/^<svg /);
    expect(picture).toContain(`data-chain="${chain.id}"`);
    const source = await (await fetch(path(i, `/explain?chain=${chain.id}`))).text();
    expect(source).toContain('// slots:');
    expect(source).toMatch(/function chain_\d+_grep_map_reduce/);
    expect((await fetch(path(i, '/explain?chain=999999'))).status).toBe(404);

    let sawGraph = false;
    await events(path(i, '/events'), (name, data) => {
      if (name === 'graph') sawGraph = data.svg.startsWith('<svg') && data.graph.processes.length === 4;
      return name === 'sample' && sawGraph && data.ports.some((p: { label: string; port: string; records: number }) => p.label === 'grep#2' && p.port === 'in' && p.records === 4);
    });
  });

  it('stops counting once closed', async () => {
    const io = new IO();
    const i = await io.inspect();
    const sink = io.from([1, 2]).map((x: number) => x).collect();
    sink.run();
    await i.close();
    const entry = sink.source.entry('out>', 'flow');
    const { isCounted } = await import('../../inspect/counters.js');
    expect(isCounted(entry)).toBe(false);
    await expect(fetch(i.url)).rejects.toThrow();
  });
});
