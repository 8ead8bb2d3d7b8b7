// The engine reaches the JIT and the realms through hooks that those install
// when they load (engine/hooks.ts). The package entry loads them; a test that
// imports engine modules directly gets them from here, so that every test runs
// on the engine as a user gets it.
import '../../jit/entries.js';
import '../../realm/engine.js';
