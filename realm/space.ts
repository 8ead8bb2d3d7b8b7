/**
 * What a realm and a vassal of it have in common: the operations of the
 * tuplespace. Code that is handed a `Space` cannot tell (and need not care)
 * whether it holds the realm itself or an attenuated view of it.
 */
import type { Pattern } from './pattern.js';
import type { Proclamation } from './proclamations.js';
import type { ReplyCallback, SignalHandler, View } from './signals.js';
import type { SubscriptionBody } from './subscriptions.js';
import type { RuleList, Vassal } from './vassal.js';

/** Something that can be undone: a subscription, a handler. */
export interface Handle {
  /** Idempotent; buffered in the current turn like any other effect. */
  cancel(): void;
}

export interface Space {
  /** Raise `#topic(args)` and wait for the reply (Empty when no one answers). */
  signal(topic: string, ...args: unknown[]): Promise<unknown>;
  /** Raise `#topic(args)`; `onReply` runs in a turn of its own when answered. */
  post(topic: string, args?: readonly unknown[], onReply?: ReplyCallback): void;
  /** Assert `$topic(args)`; `proclaim(topic, Empty)` retracts the topic. */
  proclaim(topic: string, ...args: unknown[]): Proclamation;
  /** One `body` instance per matching tuple; its returned cleanup runs when the match goes away. */
  subscribe(pattern: Pattern, body: SubscriptionBody): Handle;
  /** Trap signals on `topic` that reach this space. */
  on(topic: string, handler: SignalHandler): Handle;
  /** Trap signals through a view (the general form of `on`, used by vassals). */
  trap(view: View, handler: SignalHandler): Handle;
  /** An attenuated view of this space. */
  vassal(rules: RuleList, name?: string): Vassal;
}
