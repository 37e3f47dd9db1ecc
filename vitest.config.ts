import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration and browser tests share 2 cores with onnxruntime; run files one at a time.
    fileParallelism: false,
    // Each run builds the app for the browser tests into its own directory (tests/browser/build.ts).
    globalSetup: ['tests/browser/global-setup.ts'],
  },
});
