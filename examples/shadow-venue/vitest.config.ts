import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: { name: 'example-shadow-venue', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
