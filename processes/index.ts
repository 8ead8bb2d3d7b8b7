// Every registered process, and the chaining API that attaches `from` to IO.
export { buffer, buffered, drain } from './buffer.js';
export { cat } from './cat.js';
export { Chain, Sink } from './chain.js';
export { collect } from './collect.js';
export { drop } from './drop.js';
export { each } from './each.js';
export { from, pump } from './from.js';
export { grep } from './grep.js';
export { map } from './map.js';
export { reduce } from './reduce.js';
export { scan } from './scan.js';
export { take } from './take.js';
export { registry, register, type Registered } from './registry.js';
