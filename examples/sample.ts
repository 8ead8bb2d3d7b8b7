// A deterministic sample log for the command line's examples, its tests and
// the IO benchmark: `pushback --sample ...` reads it without any file.
//
//   2026-01-01T00:00:00.412Z INFO api GET /users/4821 200 12ms user=alice
//
// About 2% of the lines are ERROR, 1 in 500 users has a non-ASCII name (so
// framing meets multi-byte UTF-8), and bursts of identical heartbeat lines
// give `uniq` something to do. The same seed always gives the same text.
import { mulberry32 } from '../engine/scheduler.js';

export interface SampleOptions {
  /** Lines to make (default 10,000). */
  lines?: number;
  seed?: number;
}

const LEVELS = ['INFO', 'WARN', 'ERROR', 'DEBUG'];
const LEVEL_WEIGHTS = [0.85, 0.08, 0.02, 0.05];
const SERVICES = ['api', 'auth', 'web', 'db', 'billing'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/users/', '/orders/', '/items/', '/login', '/health', '/search?q='];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'];
const RARE_USERS = ['zoë', 'jürgen', '李雷', 'ωmega', 'søren'];

/** The sample, line by line (without newlines). */
export function* sampleLines(options: SampleOptions = {}): Generator<string> {
  const total = options.lines ?? 10_000;
  const r = mulberry32(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  let t = Date.UTC(2026, 0, 1);
  let made = 0;
  while (made < total) {
    t += Math.floor(r() * 900);
    const ts = new Date(t).toISOString();
    if (r() < 0.03) {
      const burst = 2 + Math.floor(r() * 3);
      for (let i = 0; i < burst && made < total; i++, made++) yield `${ts} INFO queue heartbeat ok`;
      continue;
    }
    let u = r();
    let level = LEVELS[0];
    for (let i = 0; i < LEVELS.length; i++) {
      if (u < LEVEL_WEIGHTS[i]) {
        level = LEVELS[i];
        break;
      }
      u -= LEVEL_WEIGHTS[i];
    }
    const path = pick(PATHS);
    const id = path.endsWith('/') || path.endsWith('=') ? String(Math.floor(r() * 10_000)) : '';
    const status = level === 'ERROR' ? pick([500, 502, 503]) : level === 'WARN' ? pick([404, 429, 301]) : 200;
    const user = r() < 0.002 ? pick(RARE_USERS) : pick(USERS);
    yield `${ts} ${level} ${pick(SERVICES)} ${pick(METHODS)} ${path}${id} ${status} ${1 + Math.floor(r() * 250)}ms user=${user}`;
    made++;
  }
}

/** The sample as one string, every line ending in "\n". */
export function sampleText(options: SampleOptions = {}): string {
  return [...sampleLines(options)].map((l) => `${l}\n`).join('');
}

/** The sample as text chunks of about `size` characters, each ending at a newline. */
export function* sampleChunks(options: SampleOptions & { size?: number } = {}): Generator<string> {
  const size = options.size ?? 64 * 1024;
  let parts: string[] = [];
  let length = 0;
  for (const line of sampleLines(options)) {
    parts.push(line, '\n');
    length += line.length + 1;
    if (length >= size) {
      yield parts.join('');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
