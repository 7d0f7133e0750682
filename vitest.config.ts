import { defineConfig } from 'vitest/config';

// Under CI the JSON reporter also writes the counts that .ci/run prints.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'props/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env['CI'] ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
  },
});
