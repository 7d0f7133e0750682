import { defineConfig } from 'vitest/config';

// Under CI the JSON reporter also writes the counts that .ci/run prints.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'props/**/*.test.ts'],
    // No test may depend on wall-clock speed: the limit only stops a hung test (the CI machine is a
    // heavily loaded 2-core box, where the slowest file takes minutes).
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    reporters: process.env['CI'] ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
  },
});
