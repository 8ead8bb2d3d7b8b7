// npm run inspect-demo: a pipeline that keeps running, with the inspector
// attached. Open the URL it prints; Ctrl-C stops it.
//
// Log lines arrive in batches, as from a live service; the ERROR and WARN
// lines are cut down to their service name, go through a buffer, and are
// counted per service. A second, finished job shows ports ended at end of
// stream. INSPECT_PORT picks the port (a free one by default).
import { Readable } from 'node:stream';
import { IO } from '../index.js';
import { sampleLines } from './sample.js';

const io = new IO();

const lines = sampleLines({ lines: Number.MAX_SAFE_INTEGER });
const live = new Readable({ objectMode: true, read() {} });
const feed = setInterval(() => {
  for (let i = 0; i < 400; i++) live.push(lines.next().value);
}, 100);

const perService = io
  .fromReadable<string>(live)
  .grep(/ ERROR | WARN /)
  .map((line: string) => line.split(' ')[2])
  .buffer(256)
  .map((service: string) => service.toUpperCase())
  .reduce((counts: Record<string, number>, service: string) => ({ ...counts, [service]: (counts[service] ?? 0) + 1 }), {});
void perService.completion();

io.realm.proclaim('demo', 'feeding', 'sample log');

const inspector = await io.inspect({ port: Number(process.env.INSPECT_PORT ?? 0), keepAlive: true });

// A batch job that has finished: its ports show end of stream.
const latencies = Array.from({ length: 100_000 }, (_, i) => ((i * 7919) % 1000) + (i % 97));
const slow = io.from(latencies).grep((ms: number) => ms > 900).map((ms: number) => ms / 1000).take(500).collect();
slow.run();

console.log(`pushback inspector: ${inspector.url}`);
console.log('Ctrl-C to stop.');

// Exported so that the chains stay alive as long as the module (the container holds processes weakly).
export { perService, slow };

process.once('SIGINT', () => {
  clearInterval(feed);
  live.push(null);
  void inspector.close().then(() => process.exit(0));
});
