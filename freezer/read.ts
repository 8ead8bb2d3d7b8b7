// Reading a snapshot without restoring it: its header and its graph, for
// tools and for a program that must prepare before it restores (the command
// line cuts its output file to the committed length first).
import { readSnapshotFile, type SnapshotHeader } from './format.js';
import { decodeGraph, type FrozenGraph } from './graph.js';

export async function readSnapshot(file: string): Promise<{ header: SnapshotHeader; graph: FrozenGraph }> {
  const { header, body } = await readSnapshotFile(file);
  return { header, graph: decodeGraph(body, file) };
}
