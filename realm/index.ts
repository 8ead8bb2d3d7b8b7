/**
 * Realms: the engine's control plane. Signals and replies for supervision,
 * proclamations and subscriptions for shared state, vassals for capabilities,
 * turns for atomicity and a trace for debugging.
 */
export { Empty, isEmpty } from './empty.js';
export { CapabilityError, RealmStoppedError, SignalOverflowError } from './errors.js';
export type { FieldSource } from './fields.js';
export { DEFAULT_MAX_PENDING_SIGNALS, type KernelHooks, type RealmStats, type TurnFailure, type UnhandledSignal } from './kernel.js';
export { _, Rest, bind, compilePattern, type Kind, type Match, type Pattern, type Tuple } from './pattern.js';
export type { Proclamation } from './proclamations.js';
export { ERROR_TOPIC, raiseError, type ErrorDecision, type ErrorReport } from './protocols.js';
export { Realm, type RealmOptions } from './realm.js';
export { Signal, type ReplyCallback, type SignalHandler, type View, type ViewOutput } from './signals.js';
export type { Handle, Space } from './space.js';
export type { SubscriptionBody } from './subscriptions.js';
export { Trace, type TurnKind, type TurnRecord } from './trace.js';
export { describe, structurallyEqual } from './values.js';
export {
  Vassal,
  applyRules,
  distinct,
  egress,
  flattenRules,
  ingress,
  attenuate,
  block,
  peek,
  take,
  topicView,
  transform,
  tuple,
  type AttenuateOptions,
  type Direction,
  type RuleList,
  type Rewrite,
  type Rule,
  type RuleAction,
} from './vassal.js';
export { World, type WorldOptions } from './world.js';
export { Scheduler, type SchedulerOptions, type Task } from '../engine/scheduler.js';
