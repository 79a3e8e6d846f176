import { runExample } from './run-example';

// npm start: stores the S&P 500 and a backtest in PostgreSQL, then serves /metrics until Ctrl-C.
// ONCE=1 exits after the run (for CI); DATABASE_URL, METRICS_PORT and RXTRADE_SCHEMA override the defaults.
const run = await runExample({
  ...(process.env['DATABASE_URL'] ? { databaseUrl: process.env['DATABASE_URL'] } : {}),
  ...(process.env['RXTRADE_SCHEMA'] ? { schema: process.env['RXTRADE_SCHEMA'] } : {}),
  ...(process.env['METRICS_PORT'] ? { port: Number(process.env['METRICS_PORT']) } : {}),
});

console.error(
  [
    '',
    `run ${run.runId}: ${run.fills} fills, ${run.closedTrades} round trips, total return ${(run.totalReturn * 100).toFixed(2)} %`,
    `metrics:  curl -s ${run.metricsUrl} | grep '^rxtrade_'`,
    `history:  psql postgres://postgres@127.0.0.1:5432/test -c "select run_id, status, stats->>'totalReturn' from ${run.history.schema}.strategy_runs"`,
    '',
  ].join('\n'),
);

if (process.env['ONCE'] === '1') {
  await run.close();
} else {
  console.error('serving /metrics; Ctrl-C to stop');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void run.close().then(() => process.exit(0));
    });
  }
}
