import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The engine as the package entry assembles it (see test/support/assembled.ts).
    setupFiles: ['test/support/assembled.ts'],
    // Bundles the worker script that a container's workers run (see the file).
    globalSetup: ['test/support/worker-script.ts'],
  },
});
