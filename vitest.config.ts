import { defineConfig } from 'vitest/config';

// One project per workspace package; each package's vitest.config.ts resolves the
// `rxtrade-source` export condition so tests run against src/, not dist/.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/test-report.json' },
  },
});
