import { type Bar, BarSchema } from '@rxtrade/core';
import { withCorrelation } from '@rxtrade/logging';
import { decode, envelope } from '../../shared/src/envelope';
import { main } from '../../shared/src/harness';
import { PAYLOAD_TYPES, type SignalPayload } from '../../shared/src/schemas';
import { keys } from '../../shared/src/state-keys';
import { openBarCache } from '../../shared/src/stores';
import { topics } from '../../shared/src/topics';
import { SymbolRunner } from './symbol-runner';

/**
 * Strategy service (N replicas). Bars arrive through the `strategy` consumer group, partitioned by
 * symbol: one replica at a time handles a symbol, in order (`@rxtrade/rabbitmq`).
 *
 * Per-symbol state (indicators, the strategy's position) lives in this process. Redis holds, per
 * strategy and symbol, the timestamp of the last bar any replica finished (`strategy-progress`).
 * When this replica's state is not at that timestamp — first bar here, or the partition moved away
 * and came back — it rebuilds: a fresh strategy is replayed, silently, over the bars in the Redis
 * bar cache up to that timestamp. With `CACHE_BARS` ≥ the history, the rebuilt state equals the
 * state the previous owner had (no warm-up gap); beyond it, the rebuild starts at the oldest cached
 * bar and logs a warm-up gap.
 */
main('strategy', async (ctx) => {
  const { config, ns, logger, bus, store, metrics } = ctx;
  const cache = openBarCache(ctx);
  const runners = new Map<string, SymbolRunner>();
  const trace = process.env['FLEET_TRACE_HANDLING'] === '1';
  const signalsOut = metrics.counter('signals_total', {
    help: 'Signals published',
    labelNames: ['strategy', 'symbol'],
  });
  const rebuilds = metrics.counter('strategy_rebuilds_total', {
    help: 'State rebuilt from the bar cache',
    labelNames: ['strategy'],
  });
  const barsIn = metrics.counter('strategy_bars_total', { help: 'Bars processed', labelNames: ['replica'] });

  // Registry for the gateway: which strategies exist, and whether they are running.
  const running = new Map<string, boolean>();
  for (const s of config.STRATEGIES) {
    const existing = await store.get(keys.strategy(s.id));
    running.set(s.id, existing?.['status'] !== 'stopped');
    if (!existing) {
      await store.apply({
        ops: [
          { op: 'set', key: keys.strategy(s.id), fields: { status: 'running', kind: s.kind, symbols: '*' } },
        ],
      });
    }
  }
  const refresh = setInterval(() => {
    for (const s of config.STRATEGIES) {
      store.get(keys.strategy(s.id)).then(
        (r) => running.set(s.id, r?.['status'] !== 'stopped'),
        () => undefined,
      );
    }
  }, 1_000);
  ctx.onStop(() => clearInterval(refresh));

  const rebuild = async (
    strategyIndex: number,
    symbol: string,
    upTo: number | undefined,
  ): Promise<SymbolRunner> => {
    const cfg = config.STRATEGIES[strategyIndex];
    if (!cfg) throw new Error('unknown strategy');
    const runner = new SymbolRunner(cfg, symbol);
    if (upTo !== undefined) {
      const history = (await cache.bars(symbol)).filter((b) => b.ts <= upTo);
      for (const bar of history) runner.onBar(bar);
      if (runner.lastTs !== upTo)
        logger.warn({ symbol, strategy: cfg.id, upTo, rebuiltTo: runner.lastTs }, 'rebuild incomplete');
      rebuilds.add(1, { strategy: cfg.id });
      logger.info(
        {
          symbol,
          strategy: cfg.id,
          bars: history.length,
          warmupGap: history.length > 0 && history.length >= config.CACHE_BARS,
        },
        'state rebuilt from bar cache',
      );
    }
    return runner;
  };

  const sub = await bus.subscribe(
    topics.allBars,
    async (message) => {
      const { envelope: env, payload } = decode(message, PAYLOAD_TYPES.bar, BarSchema);
      const bar = payload as Bar;
      const log = withCorrelation(logger, env.correlationId);
      barsIn.add(1, { replica: config.REPLICA });
      for (const [index, cfg] of config.STRATEGIES.entries()) {
        const progressKey = keys.strategyProgress(cfg.id, bar.symbol);
        const done = await store.get(progressKey);
        const lastDone = done?.['lastTs'] !== undefined ? Number(done['lastTs']) : undefined;
        if (lastDone !== undefined && bar.ts <= lastDone) continue; // already processed (redelivery)
        const runnerKey = `${cfg.id}|${bar.symbol}`;
        let runner = runners.get(runnerKey);
        if (
          !runner ||
          (lastDone !== undefined && runner.lastTs !== lastDone) ||
          (lastDone === undefined && runner.lastTs !== -1)
        ) {
          runner = await rebuild(index, bar.symbol, lastDone);
          runners.set(runnerKey, runner);
        }
        const intents = runner.onBar(bar);
        if (running.get(cfg.id) !== false) {
          for (const intent of intents) {
            const signalId = `sig-${cfg.id}-${bar.symbol}-${bar.ts}-${intent.seq}`;
            const after = runner.position;
            const signal: SignalPayload = {
              signalId,
              strategyId: cfg.id,
              symbol: bar.symbol,
              side: intent.side,
              quantity: intent.quantity,
              direction: after > 0 ? 'long' : after < 0 ? 'short' : 'flat',
              barTs: bar.ts,
              price: bar.close,
            };
            await bus.publish(
              topics.signals(cfg.id),
              envelope(PAYLOAD_TYPES.signal, signal, {
                id: signalId,
                correlationId: env.correlationId,
                ts: env.ts,
              }),
              { key: bar.symbol },
            );
            signalsOut.add(1, { strategy: cfg.id, symbol: bar.symbol });
            log.info(
              { signalId, symbol: bar.symbol, side: intent.side, quantity: intent.quantity },
              'signal',
            );
          }
        }
        await store.apply({
          ops: [{ op: 'set', key: progressKey, fields: { lastTs: String(bar.ts), replica: config.REPLICA } }],
        });
        // Test hook: the global handling order per symbol, for the e2e ordering check.
        if (trace && index === 0)
          await ctx.redis.rpush(`${ns.redisPrefix}trace:${bar.symbol}`, `${config.REPLICA}:${bar.ts}`);
      }
    },
    { group: 'strategy', prefetch: 20 },
  );
  ctx.onStop(() => sub.unsubscribe());
});
