/**
 * Stopping a realm. Children stop first (depth first, in creation order),
 * then the realm itself: its subscriptions end, everything it proclaimed is
 * retracted (wherever it is pinned), everything pinned to it is retracted,
 * its traps go, and signals it sent or trapped are answered with Empty.
 * After that no table refers to it.
 */
import type { RealmCore } from './core.js';
import { Empty } from './empty.js';
import type { Kernel } from './kernel.js';
import { retractNow } from './proclamations.js';
import { removeTrapNow, settle } from './signals.js';
import { unsubscribeNow, type Subscription } from './subscriptions.js';

export function stopNow(kernel: Kernel, core: RealmCore): void {
  if (core.stopped) return;
  // Children first, depth first in creation order, without recursion: a tree
  // may be deeper than the call stack.
  for (const r of postOrder(core)) stopOne(kernel, r);
}

/** `root` and its descendants, each after its children (the children in creation order). */
function postOrder(root: RealmCore): RealmCore[] {
  const order: RealmCore[] = [];
  const stack: { core: RealmCore; children: Iterator<RealmCore> }[] = [{ core: root, children: [...root.children].values() }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const next = top.children.next();
    if (next.done) {
      order.push(top.core);
      stack.pop();
    } else if (!next.value.stopped) {
      stack.push({ core: next.value, children: [...next.value.children].values() });
    }
  }
  return order;
}

function stopOne(kernel: Kernel, core: RealmCore): void {
  if (core.stopped) return;
  core.stopped = true;
  if (kernel.tracing) kernel.note(`stop ${core.label}`);

  for (const sub of [...core.ownedSubs]) unsubscribeNow(kernel, sub);
  for (const h of [...core.owned]) retractNow(kernel, h);
  for (const entry of [...core.store.values()]) for (const h of [...entry.handles]) retractNow(kernel, h);

  const observers: Subscription[] = [...core.subsAnyTopic, ...core.signalSubs];
  for (const set of core.subsByTopic.values()) observers.push(...set);
  for (const sub of observers) unsubscribeNow(kernel, sub);

  for (const trap of [...core.ownedTraps]) removeTrapNow(kernel, trap);
  for (const trap of [...core.traps]) removeTrapNow(kernel, trap);

  // The sender is stopped: its promise resolves with Empty, no callback runs.
  for (const sig of [...core.sent]) settle(kernel, sig, Empty);
  // The handler is gone: its senders resume with Empty rather than wait forever.
  for (const sig of [...core.trapped]) settle(kernel, sig, Empty);

  core.parent?.children.delete(core);
  kernel.realms.delete(core);
}
