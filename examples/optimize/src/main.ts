// Grid search over the SMA crossover's windows on the S&P 500, in worker threads; a coarse-to-fine
// refinement on one Optimizer; then a walk-forward.
// Run: npm start   (WORKERS=n to choose the thread count)
import { formatTop, optimizeSma, refineSma, walkForwardSma } from './scenario';

const workers = process.env['WORKERS'] === undefined ? undefined : Number(process.env['WORKERS']);
let shown = 0;
const result = await optimizeSma({
  ...(workers === undefined ? {} : { workers }),
  onProgress: (done, total) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth > shown || done === total) {
      shown = tenth;
      process.stderr.write(`\r${done}/${total} backtests`);
    }
  },
});
process.stderr.write('\n');
console.log(
  `${result.rows.length} parameter sets on ${result.workers} worker thread(s) in ${(result.elapsedMs / 1000).toFixed(1)} s; ` +
    `top 10 by ${result.metric}:\n`,
);
console.log(formatTop(result, 10));

const { coarse, fine } = await refineSma(workers === undefined ? {} : { workers });
const described = (r: typeof coarse) =>
  `fast ${r.best?.params['fast']}/slow ${r.best?.params['slow']}, sharpe ${r.best?.score?.toFixed(3)} ` +
  `(${r.rows.length} sets in ${r.elapsedMs.toFixed(0)} ms)`;
console.log(
  `\ncoarse to fine on one Optimizer: coarse best ${described(coarse)}; within 4 bars of it ${described(fine)}`,
);

const wf = await walkForwardSma(workers === undefined ? {} : { workers });
console.log(
  `\nwalk-forward (5 years in sample, the next year out of sample with a 250-bar warm-up, rolling): ${wf.windows.length} windows`,
);
for (const w of wf.windows) {
  const year = new Date(w.outOfSample.from).getUTCFullYear();
  console.log(
    `  ${year}: chose fast ${w.best?.params['fast']}/slow ${w.best?.params['slow']} (in-sample sharpe ${w.best?.score?.toFixed(2)}) → out-of-sample sharpe ${w.outOfSampleScore?.toFixed(2) ?? '—'}`,
  );
}
console.log('  (— : flat all year, no crossover, so the Sharpe ratio is undefined)');
console.log(
  `  mean sharpe: in sample ${wf.meanInSampleScore?.toFixed(2)}, out of sample ${wf.meanOutOfSampleScore?.toFixed(2)}`,
);
