import {
  type Bar,
  createEngine,
  type KillSwitchResult,
  killSwitch,
  ManualClock,
  type OrderEvent,
  type RiskStateChanged,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { DipBids, Trend } from './strategies';

const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const KILL_ON = '2008-09-15';
const RESUME_ON = '2009-03-10';

/** What happened, for the printout and the test. */
export interface KillSwitchOutcome {
  readonly killedAt: number;
  readonly resumedAt: number;
  readonly kill: KillSwitchResult;
  readonly states: readonly RiskStateChanged[];
  readonly events: readonly OrderEvent[];
  readonly positionAfterFlatten: number;
  /** Index in `events` of the first event after the kill switch / after the resume. */
  readonly killIndex: number;
  readonly resumeIndex: number;
}

/**
 * Two strategies trade the S&P 500 from mid-2007; on the Monday Lehman Brothers failed an operator
 * pulls the kill switch with `flatten`: trading halts, resting orders are canceled and the position
 * is sold, in one call. While HALTED every new order is denied (cancels still pass); in March 2009
 * the operator sets the state back to ACTIVE and the strategies trade again.
 */
export async function runKillSwitch(log: (line: string) => void = () => {}): Promise<KillSwitchOutcome> {
  const clock = new ManualClock(0);
  const engine = createEngine({
    instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
    accounts: [{ id: 'fund', initialCash: 200_000 }],
    strategies: [new Trend({ id: 'trend' }), new DipBids({ id: 'bids' })],
    clock,
  });
  const states: RiskStateChanged[] = [];
  const events: OrderEvent[] = [];
  engine.riskState$.subscribe((s) => {
    states.push(s);
    if (states.length > 1) log(`${day(s.tsEvent)}  riskState$ → ${s.state} (${s.reason})`);
  });
  engine.orderEvents$.subscribe((e) => events.push(e));
  let denied = 0;
  engine.orderEvents$.subscribe((e) => {
    if (e.type === 'OrderDenied' && denied++ < 3)
      log(`${day(e.tsEvent)}  ${e.strategyId} order denied: ${e.message}`);
  });
  engine.fills$.subscribe((f) => {
    const ts = day(f.tsEvent);
    if (ts >= KILL_ON && ts < RESUME_ON)
      log(`${ts}  fill: ${f.strategyId} ${f.side} ${f.lastQty} @ ${f.lastPx}`);
  });

  const bars: Bar[] = (await loadSp500Bars()).filter(
    (b) => b.ts >= Date.UTC(2007, 5, 1) && b.ts < Date.UTC(2010, 0, 1),
  );
  await engine.start();
  let kill: KillSwitchResult = { canceled: 0, cancelRequested: [], flattenOrders: [] };
  let killedAt = 0;
  let resumedAt = 0;
  let positionAfterFlatten = Number.NaN;
  let killIndex = 0;
  let resumeIndex = 0;
  for (const bar of bars) {
    clock.set(bar.ts);
    engine.processBar(bar);
    const today = day(bar.ts);
    if (killedAt !== 0 && Number.isNaN(positionAfterFlatten)) {
      positionAfterFlatten = engine.positions('fund')[0]?.quantity ?? 0;
      log(`${today}  position after the flattening fill: ${positionAfterFlatten}`);
      const manual = engine.submit({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 });
      log(`${today}  a manual buy while HALTED: ${manual.status}`);
    }
    if (killedAt === 0 && today >= KILL_ON) {
      const held = engine.positions('fund')[0]?.quantity ?? 0;
      log(
        `${today}  holding ${held}, ${engine.openOrders().length} resting order(s); operator pulls the kill switch`,
      );
      killIndex = events.length;
      kill = killSwitch(engine, { reason: 'operator: Lehman Brothers failed', flatten: true });
      killedAt = bar.ts;
      log(
        `${today}  kill switch: ${kill.canceled} order(s) canceled; flatten: ${kill.flattenOrders
          .map((o) => `${o.strategyId} ${o.side} ${o.quantity} (${o.status})`)
          .join(', ')}`,
      );
    }
    if (resumedAt === 0 && today >= RESUME_ON) {
      log(`${today}  ${denied} orders were denied while halted; operator resumes`);
      engine.setTradingState('ACTIVE', { reason: 'operator: resume' });
      resumeIndex = events.length;
      resumedAt = bar.ts;
    }
  }
  const account = engine.account('fund');
  await engine.stop();
  log(
    `\nfinal equity ${account.equity.toLocaleString('en-US')} (from 200,000); fees ${account.feesPaid.toLocaleString('en-US')}`,
  );
  return { killedAt, resumedAt, kill, states, events, positionAfterFlatten, killIndex, resumeIndex };
}
