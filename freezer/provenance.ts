// Which package a definition comes from, as `name@version`: the snapshot's
// header lists it for every definition it uses, so that a reader can tell
// what it needs before it rebuilds anything. A migration's resolver headers
// say the same (transport/dependencies.ts, where the receiving host checks them).
export { CALLER_PACKAGE, ENGINE_PACKAGE } from '../transport/dependencies.js';
