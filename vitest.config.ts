import { defineConfig } from 'vitest/config';

// One project per workspace package; each package's vitest.config.ts resolves the
// `rxtrade-source` export condition so tests run against src/, not dist/.
export default defineConfig({
  test: {
    // examples/services is a folder of packages, not one: a bare 'examples/*' would also make it a
    // config-less project that runs every service test a second time without `rxtrade-source`.
    projects: ['packages/*', 'examples/!(services)', 'examples/services/*/vitest.config.ts'],
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci/test-report.json' },
  },
});
