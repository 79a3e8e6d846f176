import {
  AccountManager,
  type AccountManagerOptions,
  type Bar,
  createEngine,
  type EquityBreach,
  type ManagedAccountStatus,
  ManualClock,
  type Position,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { DipBuyer, TrendSignals } from './strategies';

/** From 2003: five years of trading before the 2008 crash. */
const FROM = Date.UTC(2003, 0, 1);
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
const money = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** What the run produced, for the printout and the test. */
export interface MultiAccountOutcome {
  readonly breaches: readonly EquityBreach[];
  readonly fills: Readonly<Record<string, { count: number; last: number }>>;
  readonly denied: Readonly<Record<string, number>>;
  readonly status: readonly ManagedAccountStatus[];
  readonly strategyPositions: Readonly<Record<string, readonly Position[]>>;
}

/** The two accounts, as core's AccountManager takes them (plan.json has the same for the CLI). */
export const ACCOUNTS = {
  accounts: [
    {
      id: 'aggressive',
      venue: 'broker-a',
      initialCash: 100_000,
      sizing: { type: 'fixedFraction', fraction: 0.95 },
      limits: { requireCash: true },
      halts: { maxDailyLoss: 3_000 },
    },
    {
      id: 'steady',
      venue: 'broker-b',
      initialCash: 100_000,
      sizing: { type: 'fixedFraction', fraction: 0.3 },
      canTrade: { strategies: ['trend'] },
      halts: { maxDrawdown: 0.3 },
    },
  ],
  flattenOnHalt: true,
} satisfies AccountManagerOptions;

/**
 * Two accounts at two brokers, two signal strategies, the S&P 500 from 2003. `aggressive` puts 95 %
 * of its equity behind every signal of both strategies and may lose at most 3,000 a day; `steady`
 * takes only the trend strategy's signals at 30 % of equity. Signals are sized per account and go
 * through the same risk path; when `aggressive` crosses its daily-loss limit it is halted and
 * flattened, and `steady` trades on.
 */
export async function runMultiAccount(log: (line: string) => void = () => {}): Promise<MultiAccountOutcome> {
  const manager = new AccountManager(ACCOUNTS);
  const clock = new ManualClock(0);
  const engine = createEngine({
    instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
    strategies: [new TrendSignals({ id: 'trend' }), new DipBuyer({ id: 'dips' })],
    clock,
    ...manager.engineOptions(),
  });
  manager.attach(engine);

  const breaches: EquityBreach[] = [];
  const fills: Record<string, { count: number; last: number }> = {};
  const denied: Record<string, number> = {};
  let routed = 0;
  const lastDenial = new Map<string, string>();
  engine.orderEvents$.subscribe((e) => {
    if (e.type === 'OrderDenied') lastDenial.set(e.clientOrderId, e.reason);
  });
  manager.breaches$.subscribe((b) => {
    breaches.push(b);
    log(`${day(b.tsEvent)}  BREACH  ${b.message}`);
  });
  engine.riskState$.subscribe((s) => {
    if (s.accountId !== undefined) log(`${day(s.tsEvent)}  STATE   ${s.accountId} → ${s.state}`);
  });
  manager.decisions$.subscribe(({ signal, size, order }) => {
    if (!order) return;
    if (order.status === 'denied') denied[size.accountId] = (denied[size.accountId] ?? 0) + 1;
    const isDenied = order.status === 'denied';
    if (routed++ < 4 || (isDenied && (denied[size.accountId] ?? 0) <= 3)) {
      const reason = isDenied ? ` ${lastDenial.get(order.clientOrderId) ?? ''}` : '';
      log(
        `${day(signal.tsEvent)}  ORDER   ${signal.strategyId} ${signal.direction.padEnd(4)} → ${size.accountId}: ${size.side} ${size.quantity} ${order.status}${reason}`,
      );
    }
  });
  const fillTimes: { accountId: string; ts: number }[] = [];
  engine.fills$.subscribe((f) => {
    fillTimes.push({ accountId: f.accountId, ts: f.tsEvent });
    const entry = fills[f.accountId] ?? { count: 0, last: 0 };
    fills[f.accountId] = { count: entry.count + 1, last: f.tsEvent };
    if (breaches.some((b) => b.accountId === f.accountId)) {
      log(
        `${day(f.tsEvent)}  FLATTEN ${f.accountId}: ${f.side} ${f.lastQty} @ ${f.lastPx} (${f.strategyId})`,
      );
    }
  });

  const bars: Bar[] = (await loadSp500Bars()).filter((b) => b.ts >= FROM);
  await engine.start();
  for (const bar of bars) {
    clock.set(bar.ts);
    engine.processBar(bar);
  }
  const status = manager.status();
  const strategyPositions = Object.fromEntries(
    ['trend', 'dips', 'kill-switch'].map((id) => [id, engine.strategyPositions(id)]),
  );
  await engine.stop();
  manager.close();

  log('');
  log('account      venue     state    equity        position  fills  denied');
  for (const s of status) {
    log(
      `${s.id.padEnd(12)} ${s.venue.padEnd(9)} ${s.tradingState.padEnd(8)} ${money(s.state.equity).padStart(12)}  ${String(s.positions[0]?.quantity ?? 0).padStart(8)}  ${String(fills[s.id]?.count ?? 0).padStart(5)}  ${String(denied[s.id] ?? 0).padStart(6)}`,
    );
  }
  for (const breach of breaches) {
    for (const other of status.filter((x) => x.id !== breach.accountId)) {
      const after = fillTimes.filter((f) => f.accountId === other.id && f.ts > breach.tsEvent);
      log(
        `after ${breach.accountId} halted on ${day(breach.tsEvent)}, ${other.id} filled ${after.length} more orders` +
          (after.length > 0 ? ` (the last on ${day(after.at(-1)?.ts ?? 0)})` : ''),
      );
    }
  }
  log('');
  log('per-strategy virtual positions (each strategy sees its own; the account nets them):');
  for (const [id, positions] of Object.entries(strategyPositions)) {
    for (const p of positions) {
      log(
        `  ${id.padEnd(11)} in ${p.accountId.padEnd(10)} qty ${String(p.quantity).padStart(4)}  realized ${money(p.realizedPnl).padStart(10)}  unrealized ${money(p.unrealizedPnl).padStart(10)}  fees ${money(p.feesPaid)}`,
      );
    }
  }
  return { breaches, fills, denied, status, strategyPositions };
}
