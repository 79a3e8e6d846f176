import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: {
    name: 'services-gateway',
    include: ['src/**/*.test.ts', '../shared/src/credentials.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
