import type { ViteUserConfig } from 'vitest/config';

/**
 * Shared by every package's vitest config: the usual console output plus a JSON report
 * (`.vitest-report.json`, git-ignored) that `.ci/run` sums into one closing line.
 */
export const baseTest: NonNullable<ViteUserConfig['test']> = {
  reporters: ['default', 'json'],
  outputFile: { json: '.vitest-report.json' },
};
