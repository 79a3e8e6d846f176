import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: {
    name: 'postgres',
    include: ['src/**/*.test.ts'],
    globalSetup: ['src/test-fixtures/global-setup.ts'],
    testTimeout: 60_000,
  },
});
