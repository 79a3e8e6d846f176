// Mutation testing of core's money, order, risk and accounting code (docs/guides/mutation-testing.md).
// Run one file at a time on a shared machine: `npm run test:mutation -- --mutate src/risk/rules.ts`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  // Only the test files that import the mutated file (vitest's related-files search), and per mutant
  // only the tests that cover it.
  vitest: { configFile: 'vitest.config.ts', related: true },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Money, orders, risk and accounting: the code whose every branch must be pinned by a test. The
  // incremental CI step (.ci/mutation-changed.mjs) mutates the changed lines of these files only.
  mutate: [
    'src/model/decimal.ts',
    'src/model/money.ts',
    'src/model/order.ts',
    'src/model/order-grid.ts',
    'src/model/order-record.ts',
    'src/account/position-book.ts',
    'src/account/account-book.ts',
    'src/risk/rules.ts',
    'src/risk/pre-trade.ts',
    'src/risk/cash.ts',
    'src/risk/open-orders.ts',
    'src/risk/strategy-budgets.ts',
    // The engine's parts.
    'src/risk/risk-engine.ts',
    'src/risk/trading-holds.ts',
    'src/risk/flatten.ts',
    'src/execution/order-manager.ts',
    'src/strategy/strategy-host.ts',
  ],
  // The sandbox holds core alone and sits inside the repository, so imports still resolve from the
  // root node_modules.
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'reports', '.stryker-tmp'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
  timeoutMS: 10_000,
};
