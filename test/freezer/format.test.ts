// The snapshot file format: what it holds, and a clear refusal naming the
// file and the problem for every way a file can be damaged.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, readSnapshotFile, SnapshotFileError, SNAPSHOT_FORMAT_VERSION, writeSnapshotFile, type SnapshotHeader } from '../../freezer/format.js';
import { encodeValues, decodeValues } from '../../transport/codec.js';
import { mulberry32 } from '../../engine/scheduler.js';

const header: SnapshotHeader = {
  engine: 'pushback-ts@0.1.0',
  node: process.version,
  created: '2026-01-01T00:00:00.000Z',
  definitions: [{ name: 'map', package: 'pushback-ts@0.1.0' }],
  processes: 1,
};
const body = encodeValues([{ processes: [{ index: 1, state: { xs: [1, -0, 'a'] } }], notes: [] }]);
const file = encodeSnapshot(header, body);

function refusal(bytes: Uint8Array): SnapshotFileError {
  try {
    decodeSnapshot(bytes, 'run.snap');
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotFileError);
    return e as SnapshotFileError;
  }
  throw new Error('the damaged file was accepted');
}

describe('the snapshot format', () => {
  it('gives back the header and the body it was given', () => {
    const decoded = decodeSnapshot(file, 'run.snap');
    expect(decoded.version).toBe(SNAPSHOT_FORMAT_VERSION);
    expect(decoded.header).toEqual(header);
    expect(decodeValues(decoded.body)).toEqual(decodeValues(body));
  });

  it('refuses every truncation, naming the file', () => {
    for (let n = 0; n < file.length; n++) {
      const e = refusal(file.subarray(0, n));
      expect(e.file).toBe('run.snap');
      expect(e.message).toMatch(/^snapshot run\.snap: /);
      expect(e.problem).toMatch(n === 0 ? /empty/ : n < 8 ? /not a snapshot file/ : /truncated/);
    }
  });

  it('refuses a changed byte anywhere as corrupt (or, in the version field, as a version it does not read)', () => {
    const r = mulberry32(16);
    for (let round = 0; round < 200; round++) {
      const damaged = file.slice();
      const at = Math.floor(r() * damaged.length);
      damaged[at] ^= 1 + Math.floor(r() * 255);
      const e = refusal(damaged);
      expect(e.problem).toMatch(/corrupt|truncated|not a snapshot file|format version/);
    }
  });

  it('refuses bytes after the end', () => {
    const longer = new Uint8Array(file.length + 3);
    longer.set(file);
    expect(refusal(longer).problem).toMatch(/corrupt: 3 bytes after the end/);
  });

  it('refuses a newer format version by its number', () => {
    const newer = file.slice();
    new DataView(newer.buffer).setUint16(8, SNAPSHOT_FORMAT_VERSION + 1);
    expect(refusal(newer).problem).toBe(
      `written in snapshot format version ${SNAPSHOT_FORMAT_VERSION + 1}, newer than this build reads (versions 1 to ${SNAPSHOT_FORMAT_VERSION}); restore it with a newer pushback-ts`,
    );
  });

  it('refuses a format version older than any it reads, by its number', () => {
    const older = file.slice();
    new DataView(older.buffer).setUint16(8, 0);
    expect(refusal(older).problem).toMatch(/format version 0, which this build does not read/);
  });

  it('writes the file whole and reads it back; a missing file is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freezer-format-'));
    const path = join(dir, 'a.snap');
    await writeSnapshotFile(path, file);
    expect((await readSnapshotFile(path)).header).toEqual(header);
    await expect(readSnapshotFile(join(dir, 'none.snap'))).rejects.toThrow(`snapshot ${join(dir, 'none.snap')}: no such file`);
    writeFileSync(path, 'hello, not a snapshot');
    await expect(readSnapshotFile(path)).rejects.toThrow(/not a snapshot file/);
  });
});
