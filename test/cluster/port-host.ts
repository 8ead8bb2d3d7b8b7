// A host in an OS process of its own holding one end of a cross-host
// connection, for the tests that kill a host with -9 and start it again.
//
//   port-host.ts writer <servers> <connection> <count> [pauseAt]
//     Writes the integers 0..count-1, resuming after what the stream already
//     holds. Prints "resume <n>", then "done" once the end of stream is stored.
//     With pauseAt, once message <pauseAt> has reached the server (a flush
//     round trip) and before its acknowledgement is looked at, prints
//     "published <pauseAt>" and waits for a line on stdin before going on.
//
//   port-host.ts reader <servers> <connection> <file> [stallAfter]
//     Feeds what arrives into a sink that keeps its records in <file>, each
//     message's records written together with its sequence ("#commit <seq>"),
//     in one write, before the message is acknowledged: the file is the
//     sink's committed state, and a restarted reader resumes after its last
//     commit. Prints "committed <seq>" per message and "ended <reason>".
//     With stallAfter, once that many records were handed to the sink in this
//     run, stops the whole process (a busy wait) between delivery and commit:
//     the records are in the sink and their message is not acknowledged.
//     The reader trims the stream every 4 commits (see jetstream-link.ts).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { hostId } from '../../engine/address.js';
import { IO } from '../../engine/io.js';
import { Process } from '../../engine/process.js';
import { each } from '../../processes/sinks/each.js';
import { from, pump } from '../../processes/sources/from.js';
import { connectToCluster } from '../../cluster/connect.js';
import { JetStreamReader, JetStreamWriter } from '../../cluster/jetstream-link.js';

const [role, servers, name, arg, extra] = process.argv.slice(2);
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const stopHere = (): never => {
  // Blocks this thread for good: nothing more happens in this process until it is killed.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new Error('unreachable');
};
const connection = await connectToCluster({ servers: servers! });

if (role === 'writer') {
  const count = Number(arg);
  const pauseAt = extra === undefined ? undefined : Number(extra);
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
  const io = new IO({ host: hostId(1) });
  const writer = await JetStreamWriter.open(io, connection, name!, {
    windowRecords: 200,
    // At most ten integers a message: 300 messages or more for the kill tests'
    // 3,000 records, more than a trim keeps, so the kills happen on a trimmed stream.
    maxMessageBytes: 40,
    publishTimeoutMs: 2_000,
    afterPublish: async (seq) => {
      if (seq !== pauseAt) return;
      await connection.flush();
      say(`published ${seq}`);
      await go;
    },
  });
  say(`resume ${writer.resumeFrom}`);
  if (!writer.complete) {
    const xs = Array.from({ length: count - writer.resumeFrom }, (_, i) => writer.resumeFrom + i);
    const source = new Process(io, from, { xs });
    source.connect('out', writer.process, 'in');
    while (pump(source) === 'blocked') await source.whenWritableAgain('out');
    await writer.finished;
  }
  say('done');
  lines.close();
  process.stdin.destroy();
  await connection.close();
} else if (role === 'reader') {
  const file = arg!;
  const stallAfter = extra === undefined ? Infinity : Number(extra);
  let committedSeq = 0;
  if (existsSync(file)) {
    const marks = readFileSync(file, 'utf8').match(/^#commit (\d+)$/gm) ?? [];
    if (marks.length > 0) committedSeq = Number(marks[marks.length - 1]!.slice('#commit '.length));
  }
  const pending: unknown[] = [];
  let handed = 0;
  const io = new IO({ host: hostId(2) });
  const reader = await JetStreamReader.open(io, connection, name!, {
    committedSeq,
    ackWaitMs: 1_500,
    windowMessages: 4,
    trimEveryMessages: 4,
    onCommitted: (seq) => {
      appendFileSync(file, pending.map((x) => `${String(x)}\n`).join('') + `#commit ${seq}\n`);
      pending.length = 0;
      say(`committed ${seq}`);
    },
  });
  const sink = new Process(io, each, {
    f: (x: unknown) => {
      pending.push(x);
      if (++handed >= stallAfter) {
        say(`stalled ${handed}`);
        stopHere();
      }
    },
  });
  reader.process.connect('out', sink, 'in');
  reader.start();
  await sink.whenEnded('in');
  say(`ended ${sink.endReason('in')?.reason ?? 'end'}`);
  await connection.close();
} else {
  throw new Error(`port-host: unknown role ${role}`);
}
