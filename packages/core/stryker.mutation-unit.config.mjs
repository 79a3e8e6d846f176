// A mutation run of one file against the unit tests named in MUTATION_TESTS only (docs/guides/mutation-testing.md):
// minutes instead of the related-files search's hour on a shared two-core machine. Its score is a lower
// bound of the full run's (fewer tests can only kill fewer mutants).
//   MUTATION_TESTS=src/risk/flatten.test.ts nice -n 19 npx stryker run stryker.mutation-unit.config.mjs --mutate src/risk/flatten.ts
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: 'vitest.mutation-unit.config.ts', related: false },
  concurrency: 1,
};
