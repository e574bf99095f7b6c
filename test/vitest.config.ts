import { defineConfig } from 'vitest/config';
import { baseTest } from '../vitest.base.ts';

// Integration and end-to-end tests: real Kafka and a real S3 server, started once per run
// by the global setup (or reused when `pnpm stack:up` already runs them).
export default defineConfig({
  test: {
    ...baseTest,
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['./support/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Files share one broker and one S3 server on 2 cores: run them one at a time.
    fileParallelism: false,
  },
});
