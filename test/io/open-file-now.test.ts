// openFile with `sync` opens and looks at the file at once, with blocking calls
// (processes/sources/readers.ts): a regular file is read with blocking reads,
// anything else (a named pipe) through the thread pool; the errors are the same
// one-line reasons as the asynchronous open gives.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFile, ReadError, type Reader } from '../../processes/sources/readers.js';

const scratch = mkdtempSync(join(tmpdir(), 'pushback-open-now-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function readAll(reader: Reader): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let got = await reader.read(4096); got !== null; got = await reader.read(4096)) parts.push(Buffer.from(got as Uint8Array));
  await reader.close();
  await reader.close();
  return Buffer.concat(parts);
}

describe('openFile with blocking calls', () => {
  it('reads a regular file, and knows its size', async () => {
    const file = join(scratch, 'plain.txt');
    const bytes = Buffer.alloc(10000, 'line\n\xff');
    writeFileSync(file, bytes);
    const reader = await openFile(file, { sync: true });
    expect(reader.size).toBe(bytes.length);
    expect((await readAll(reader)).equals(bytes)).toBe(true);
  });

  it('fails at once, with the reason, for a missing file and a directory', async () => {
    await expect(openFile(join(scratch, 'missing'), { sync: true })).rejects.toThrow(new ReadError(`cannot read ${join(scratch, 'missing')}: no such file or directory`));
    const dir = join(scratch, 'dir');
    mkdirSync(dir);
    await expect(openFile(dir, { sync: true })).rejects.toThrow(`cannot read ${dir}: it is a directory`);
    const missing = await openFile(join(scratch, 'missing'), { sync: true }).catch((error: ReadError) => error);
    expect((missing as ReadError).cause).toMatchObject({ code: 'ENOENT' });
  });

  it.runIf(spawnSync('sh', ['-c', 'command -v mkfifo']).status === 0)('reads a named pipe to its end, with no size', async () => {
    const fifo = join(scratch, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // Opening a named pipe for reading waits (blocking) until the writer has opened it.
    const writer = spawn('sh', ['-c', `exec 3>'${fifo}'; printf 'a\\nb\\n' >&3; printf 'c' >&3`]);
    const closed = new Promise((resolve) => writer.once('close', resolve));
    await new Promise<void>((resolve) => writer.once('spawn', () => resolve()));
    const reader = await openFile(fifo, { sync: true });
    expect(reader.size).toBeUndefined();
    expect((await readAll(reader)).toString()).toBe('a\nb\nc');
    expect(await closed).toBe(0);
  });
});
