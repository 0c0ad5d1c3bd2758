import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files run in forked processes: parquet-wasm keeps its WASM memory for the life of
    // a process, and some suites spawn child processes of their own.
    pool: 'forks',
  },
});
