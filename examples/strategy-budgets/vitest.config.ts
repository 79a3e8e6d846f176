import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: { name: 'example-strategy-budgets', include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});
