import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: {
    name: 'services-shared',
    include: [
      'src/**/*.test.ts',
      '../strategy/src/**/*.test.ts',
      '../data/src/**/*.test.ts',
      '../order/src/**/*.test.ts',
    ],
    exclude: ['src/credentials.test.ts'],
    testTimeout: 30_000,
  },
});
