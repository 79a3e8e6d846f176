import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: {
    name: 'fleet',
    include: ['src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
