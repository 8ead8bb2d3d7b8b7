// Regression: a signal bubbling up met a peeking trap on a child realm and a
// taking trap on its parent; the parent's handler ran at once and the peek
// was scheduled for later, so the peek saw the signal after it had been
// answered. Peeks met on the way now run first, innermost first.
import { describe, expect, test } from 'vitest';
import { World, peek } from '../../realm/index.js';

describe('peeks run innermost first, before the take', () => {
  test('a peek on a child sees the signal before the parent answers it', async () => {
    for (const seed of [undefined, 1, 2, 3, 4, 5]) {
      const world = new World({ seed });
      const parent = world.child({ name: 'parent' });
      const child = parent.child({ name: 'child' });
      const grandchild = child.child({ name: 'grandchild' });
      const log: string[] = [];
      parent.on('ask', (s) => {
        log.push('parent takes');
        return `answer ${s.answered}`;
      });
      child.vassal([peek('#ask')]).on('ask', (s) => void log.push(`child peeks (answered: ${s.answered})`));
      grandchild.vassal([peek('#ask')]).on('ask', (s) => void log.push(`grandchild peeks (answered: ${s.answered})`));
      const reply = grandchild.signal('ask');
      world.run();
      expect(await reply).toBe('answer false');
      expect(log).toEqual(['grandchild peeks (answered: false)', 'child peeks (answered: false)', 'parent takes']);
    }
  });

  test('peeks on a signal nobody takes still run, before it is answered Empty', () => {
    const world = new World();
    const child = world.child();
    const log: string[] = [];
    child.vassal([peek('#ask')]).on('ask', (s) => void log.push(`peek (answered: ${s.answered})`));
    child.post('ask', [], () => void log.push('resumed'));
    world.run();
    expect(log).toEqual(['peek (answered: false)', 'resumed']);
  });
});
