import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: {
    name: 'example-metrics-and-history',
    include: ['src/**/*.test.ts'],
    globalSetup: ['../../packages/adapters-postgres/src/test-fixtures/global-setup.ts'],
    testTimeout: 60_000,
  },
});
