import { defineProject } from 'vitest/config';

// The test files named in MUTATION_TESTS (comma-separated) and no others: for a quick mutation run of
// one file against its own unit tests (stryker.mutation-unit.config.mjs). Not a workspace project.
const tests = process.env['MUTATION_TESTS'];
if (!tests) throw new Error('MUTATION_TESTS: name the test files, comma-separated');

export default defineProject({
  resolve: { conditions: ['rxtrade-source'] },
  ssr: { resolve: { conditions: ['rxtrade-source'] } },
  test: { name: 'core', include: tests.split(','), testTimeout: 60_000 },
});
