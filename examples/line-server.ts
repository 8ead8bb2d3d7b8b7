// A line server: each line a client sends comes back upper-cased. Every
// connection gets its own lines -> map -> unlines pipeline; all connections
// share one compiled function for it (the shape cache).
//
//   npm run build && node dist/examples/line-server.js 7008
//   printf 'hello\nworld\n' | nc -N 127.0.0.1 7008
import { pathToFileURL } from 'node:url';
import { IO } from '../index.js';
import type { Chain } from '../api/chain.js';
import { tcpServer, type TcpServer } from '../net/tcp.js';

export function lineServer(io: IO, port = 0): Promise<TcpServer> {
  return tcpServer(io, {
    pipe: (c) => (c as Chain<number>).lines().map((line) => line.toUpperCase()).unlines(),
  }, { port });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await lineServer(new IO(), Number(process.argv[2] ?? 7008));
  console.log(`line server on 127.0.0.1:${server.port}`);
}
