// The inspector: a read-only page about a running container, served by the
// process itself.
//
// It listens on 127.0.0.1 unless told otherwise, and every request must carry
// the random token that is part of the URL it prints: without it the answer is
// 403 and nothing else, so another local user or a web page that guesses the
// port learns nothing. Nothing it serves can change the pipeline. The page is
// a static bundle (inspect/page/, built with esbuild) that needs no network.
//
// Server-sent events carry the live state: a `graph` event (the topology as
// data and as an SVG laid out by ELK) whenever it changes, and a `sample`
// event (counts, rates, ends, JIT counters, realms) every `interval` ms while
// a page is open. With no page open nothing is sampled; the only cost is the
// per-chunk counting of inspect/counters.ts.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { IO } from '../engine/io.js';
import { pageBundle } from './bundle.js';
import { graphOf } from './graph.js';
import { layout } from './layout.js';
import { Watch } from './live.js';
import { svg } from './svg.js';

export interface InspectOptions {
  /** The port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** The address to bind; 127.0.0.1 by default. */
  host?: string;
  /** Milliseconds between samples sent to open pages (default 250). */
  interval?: number;
  /** Keep the Node process alive while the inspector listens (default false: it goes when the pipeline is done). */
  keepAlive?: boolean;
}

export interface Inspector {
  /** The page, token included. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Stops listening, ends open pages and stops counting. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
};

interface Picture {
  key: string;
  svg: string;
  /** The `graph` event that carries it. */
  event: string;
}

export async function inspect(io: IO, options: InspectOptions = {}): Promise<Inspector> {
  const host = options.host ?? '127.0.0.1';
  const interval = options.interval ?? 250;
  const token = randomBytes(16).toString('hex');
  const expected = Buffer.from(token);
  const page = await pageBundle();
  const watch = new Watch(io);
  const clients = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let picture: Picture | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let drawing: Promise<Picture> | undefined;

  const authorised = (url: URL): boolean => {
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  /** The picture for the current topology, laid out again only when it changed. */
  const draw = (): Promise<Picture> => {
    const graph = graphOf(io);
    const key = JSON.stringify(graph);
    if (picture?.key === key) return Promise.resolve(picture);
    if (drawing) return drawing;
    drawing = layout(graph).then((placed) => {
      const drawn = svg(graph, placed);
      picture = { key, svg: drawn, event: `event: graph\ndata: ${JSON.stringify({ graph, svg: drawn })}\n\n` };
      return picture;
    }).finally(() => {
      drawing = undefined;
    });
    return drawing;
  };

  let sent: Picture | undefined;
  const broadcast = async (): Promise<void> => {
    const pic = await draw();
    if (pic !== sent) {
      sent = pic;
      for (const c of clients) c.write(pic.event);
    }
    const sample = `event: sample\ndata: ${JSON.stringify(watch.sample(true))}\n\n`;
    for (const c of clients) c.write(sample);
  };
  let busy = false;
  const tick = (): void => {
    if (busy) return;
    busy = true;
    broadcast().catch(() => undefined).finally(() => {
      busy = false;
    });
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://inspector.invalid');
    if (!authorised(url)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('403: this page needs the token from the URL the inspector printed\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS });
      res.end();
      return;
    }
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    switch (url.pathname) {
      case '/':
        return send(200, 'text/html; charset=utf-8', html(token));
      case '/page.js':
        return send(200, 'text/javascript; charset=utf-8', page);
      case '/graph.json':
        return send(200, 'application/json', JSON.stringify(graphOf(io)));
      case '/graph.svg':
        void draw().then((pic) => send(200, 'image/svg+xml', pic.svg), () => send(500, 'text/plain', 'layout failed\n'));
        return;
      case '/sample.json':
        return send(200, 'application/json', JSON.stringify(watch.sample(true)));
      case '/explain': {
        const source = watch.explain(Number(url.searchParams.get('chain')));
        return source === undefined ? send(404, 'text/plain; charset=utf-8', 'no such fused chain (it may have been recompiled: reload the picture)\n') : send(200, 'text/plain; charset=utf-8', source);
      }
      case '/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive', ...SECURITY_HEADERS });
        res.write(': pushback inspector\n\n');
        clients.add(res);
        sent = undefined;
        req.on('close', () => {
          clients.delete(res);
          if (clients.size === 0 && timer) {
            clearInterval(timer);
            timer = undefined;
          }
        });
        if (!timer) {
          timer = setInterval(tick, interval);
          timer.unref();
        }
        tick();
        return;
      }
      default:
        return send(404, 'text/plain; charset=utf-8', 'not found\n');
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    if (!options.keepAlive) socket.unref();
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (!options.keepAlive) server.unref();
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed = false;
  return {
    url: `http://${urlHost}:${address.port}/?token=${token}`,
    host: address.address,
    port: address.port,
    token,
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      watch.close();
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

function html(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pushback inspector</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { margin: 0; font: 13px system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
header { padding: 8px 14px; background: #1d2330; color: #fff; display: flex; gap: 18px; align-items: baseline; }
header h1 { font-size: 15px; margin: 0; }
#status { color: #9fb3d1; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 12px; padding: 12px; }
section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 8px 10px; overflow: auto; }
h2 { font-size: 13px; margin: 2px 0 8px; }
#graph svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font: 12px ui-monospace, Menlo, Consolas, monospace; }
td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eef0f4; }
td.num { text-align: right; }
pre { font: 12px ui-monospace, Menlo, Consolas, monospace; white-space: pre; overflow: auto; max-height: 420px; margin: 0; }
.muted { color: #6b7385; }
</style>
</head>
<body>
<header><h1>pushback inspector</h1><span id="status">connecting…</span><span id="jit" class="muted"></span></header>
<main>
<div>
<section><h2>Topology</h2><div id="graph"></div></section>
<section><h2>Ports</h2><table id="ports"><thead><tr><th>process</th><th>port</th><th>records</th><th>records/s</th><th>bytes/s</th><th>chunks</th></tr></thead><tbody></tbody></table></section>
<section><h2>Processes</h2><table id="processes"><thead><tr><th>process</th><th>ports</th><th>realm</th><th>fused chain</th></tr></thead><tbody></tbody></table></section>
</div>
<div>
<section><h2 id="source-title">Fused chain source</h2><pre id="source" class="muted">Click a fused chain (a blue box) to see the function it compiled to.</pre></section>
<section><h2>Ended ports</h2><table id="ended"><tbody></tbody></table></section>
<section><h2>Queues</h2><table id="queues"><tbody></tbody></table></section>
<section><h2>Realms</h2><pre id="realms"></pre></section>
</div>
</main>
<script src="/page.js?token=${token}"></script>
</body>
</html>
`;
}
