// A private nats-server for one test file: its own free port on 127.0.0.1 and
// its own temporary JetStream store, so a test may kill it with -9 and start it
// again on the same store without touching the machine's shared server on 4222.
//
// Readiness is a poll of the client port until the server greets with its INFO
// line, bounded by a deadline: a fixed sleep would be too short on a loaded
// machine and wasted time on an idle one.
//
// Every server started here is killed when the test process exits, also when a
// test fails before its own stop() runs, so no server outlives its tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';

const INSTALL_HINT = 'nats-server is not installed, so the [nats] tests are skipped: apt-get install -y nats-server';

/** The nats-server executable, or undefined when the machine has none. */
export const natsServer: string | undefined = (() => {
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
})();

let hintShown = false;

/**
 * `describe` for tests that need nats-server. Without one, the block is skipped
 * and one line says what to install. Titles start with "[nats]" so that
 * .ci/needs.mjs counts the tests that ran and names the ones skipped.
 */
export function describeNats(title: string, body: () => void): void {
  const tagged = title.startsWith('[nats]') ? title : `[nats] ${title}`;
  if (natsServer === undefined) {
    if (!hintShown) console.warn(INSTALL_HINT);
    hintShown = true;
    describe.skip(tagged, body);
    return;
  }
  describe(tagged, body);
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A port that was free a moment ago; the server start retries if it is taken by then. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves when a client connection to the port receives the server's INFO greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (data) => {
      text += data.toString('latin1');
      if (text.startsWith('INFO ') && text.includes('\r\n')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

export interface ServerOptions {
  /** How long start() and restart() wait for the server to accept, in ms. */
  readyDeadlineMs?: number;
}

export class PrivateServer {
  readonly storeDir: string;
  port = 0;
  private child: ChildProcess | undefined;
  private stderr = '';
  private readonly readyDeadlineMs: number;

  constructor(options: ServerOptions = {}) {
    if (natsServer === undefined) throw new Error(INSTALL_HINT);
    this.storeDir = mkdtempSync(join(tmpdir(), 'pushback-nats-'));
    this.readyDeadlineMs = options.readyDeadlineMs ?? 15_000;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts on a free port; restart() later reuses that port so that clients reconnect to it. */
  async start(): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      try {
        await this.launch();
        return this;
      } catch (error) {
        // Another process may have taken the port between the probe and the launch.
        if (attempt >= 3) throw error;
      }
    }
  }

  /** Kills the server with SIGKILL: no shutdown, no flush; the store stays as the kill left it. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    running.delete(child);
  }

  /** Starts the server again on the same port and the same store. */
  async restart(): Promise<void> {
    await this.kill9();
    await this.launch();
  }

  /** Kills the server and removes its store. Safe to call more than once. */
  async stop(): Promise<void> {
    await this.kill9();
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = ['-js', '-sd', this.storeDir, '-a', '127.0.0.1', '-p', String(this.port)];
    const child = spawn(natsServer!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    child.stderr!.on('data', (data: Buffer) => {
      // Keep only the tail: the log is for the error message if the start fails.
      this.stderr = (this.stderr + data.toString('utf8')).slice(-4000);
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.child = child;
    const deadline = Date.now() + this.readyDeadlineMs;
    while (true) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        throw new Error(`nats-server on port ${this.port} exited before accepting (${child.exitCode ?? child.signalCode}):\n${this.stderr}`);
      }
      if (await greets(this.port)) return;
      if (Date.now() > deadline) {
        await this.kill9();
        throw new Error(`nats-server on port ${this.port} did not accept within ${this.readyDeadlineMs} ms:\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Starts a private server; the caller stops it (afterAll / finally). */
export function startServer(options?: ServerOptions): Promise<PrivateServer> {
  return new PrivateServer(options).start();
}
