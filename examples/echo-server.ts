// An echo server: the pipeline is empty, so what a client sends comes straight
// back (on the light path such a connection needs no process at all); a
// client's FIN is answered with FIN once everything has been echoed.
//
//   npm run build && node dist/examples/echo-server.js 7007
//   printf 'hello\n' | nc -N 127.0.0.1 7007
import { pathToFileURL } from 'node:url';
import { IO } from '../index.js';
import { tcpServer, type TcpServer } from '../net/tcp.js';

export function echoServer(io: IO, port = 0): Promise<TcpServer> {
  return tcpServer(io, { pipe: (c) => c }, { port });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await echoServer(new IO(), Number(process.argv[2] ?? 7007));
  console.log(`echo server on 127.0.0.1:${server.port}`);
}
