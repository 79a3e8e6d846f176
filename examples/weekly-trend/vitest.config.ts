import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: { name: 'example-weekly-trend', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
