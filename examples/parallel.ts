// The README's example of parallel(): the same chain on two worker threads
// and, for comparison, on this thread alone (test/examples.test.ts runs both).
import { IO } from '../index.js';

export async function parallelExample(): Promise<{ hits: number; oneThread: number }> {
  const io = new IO({ workers: 2 }); // workers start on first use
  const ids = Array.from({ length: 100_000 }, (_, i) => i);
  const hits = await io.from(ids).parallel(2).map((i: number) => (i * 2654435761) % 1000).filter((h: number) => h < 10).count().completion();
  await io.close(); // stops the workers

  const oneThread = new IO().from(ids).map((i: number) => (i * 2654435761) % 1000).filter((h: number) => h < 10).count().run();
  return { hits, oneThread };
}
