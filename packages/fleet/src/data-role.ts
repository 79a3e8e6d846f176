import { type BacktestData, type Bar, type MessageBus, RxtradeError } from '@rxtrade/core';
import type { FleetJournal } from './journal';
import { fleetEnvelope } from './messages';
import { fleetTopics } from './topics';

/** Options of {@link publishBars}. */
export interface PublishBarsOptions {
  readonly bus: MessageBus;
  /**
   * Where frames are kept for replicas that join late or take a partition over. Default: none.
   *
   * With a journal, every frame but a symbol's last is published transient (`persistent: false`): it
   * is in the journal before it is published, so a frame the broker loses in a restart is read back
   * by the strategy and order roles when a later frame of the symbol shows the gap — and the last one
   * is persistent, so that later frame always comes. The broker then writes no bar to disk (on
   * RabbitMQ a persistent message costs about twice the broker CPU of a transient one).
   */
  readonly journal?: FleetJournal;
  /** Bars of one or several symbols, in time order (an array, an iterable, an async iterable or a CSV source). */
  readonly data: BacktestData;
  /** Bars per frame (one message). Default 500. */
  readonly frameSize?: number;
  /** Frames in flight (published, not yet confirmed) at once. Default 8. */
  readonly window?: number;
  /** Clock for envelope timestamps. Default `Date.now`. */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

/** What {@link publishBars} sent. */
export interface PublishedBars {
  readonly bars: number;
  readonly frames: number;
  /** Per symbol: frames and the last bar's time. */
  readonly symbols: ReadonlyMap<string, { readonly frames: number; readonly lastTs: number }>;
}

interface Pending {
  bars: Bar[];
  seq: number;
}

/**
 * The data role: publishes bars as frames (several bars of one symbol per message) on
 * `bars.<symbol>`, keyed by symbol so each symbol's frames stay in order, and marks each symbol's
 * last frame. Frame ids (`bars:<symbol>:<seq>`) are deterministic: a replay of the same data is
 * recognised by consumers. Publishes are awaited in a bounded window (backpressure: the bus's
 * confirms pace the replay).
 */
export async function publishBars(options: PublishBarsOptions): Promise<PublishedBars> {
  const frameSize = options.frameSize ?? 500;
  const window = options.window ?? 8;
  if (!(Number.isInteger(frameSize) && frameSize >= 1)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `frameSize must be an integer ≥ 1, got ${frameSize}`,
    });
  }
  const now = options.now ?? Date.now;
  const pending = new Map<string, Pending>();
  const sent = new Map<string, { frames: number; lastTs: number }>();
  const inFlight: Promise<void>[] = [];
  let bars = 0;
  let frames = 0;

  const send = async (symbol: string, frame: Pending, last: boolean): Promise<void> => {
    const lastTs = (frame.bars[frame.bars.length - 1] as Bar).ts;
    // Stored before it is published: whoever receives it can read every frame before it.
    await options.journal?.putFrame({ symbol, seq: frame.seq, bars: frame.bars, last });
    const envelope = fleetEnvelope(
      'BarFrame',
      { symbol, seq: frame.seq, bars: frame.bars, last },
      { id: `bars:${symbol}:${frame.seq}`, ts: now() },
    );
    frames++;
    sent.set(symbol, { frames: frame.seq + 1, lastTs });
    // Journaled frames but a symbol's last travel transient (see `PublishBarsOptions.journal`).
    const persistent = options.journal === undefined || last;
    inFlight.push(options.bus.publish(fleetTopics.bars(symbol), envelope, { key: symbol, persistent }));
    if (inFlight.length >= window) await Promise.all(inFlight.splice(0));
  };

  const add = async (bar: Bar): Promise<void> => {
    let frame = pending.get(bar.symbol);
    if (frame === undefined) {
      frame = { bars: [], seq: 0 };
      pending.set(bar.symbol, frame);
    } else if (frame.bars.length >= frameSize) {
      // A full frame leaves only when a later bar shows it is not the symbol's last one.
      await send(bar.symbol, frame, false);
      frame = { bars: [], seq: frame.seq + 1 };
      pending.set(bar.symbol, frame);
    }
    frame.bars.push(bar);
    bars++;
    if ((bars & 0xfff) === 0 && options.signal?.aborted) {
      throw new RxtradeError({ code: 'CANCELED', message: `bar replay canceled after ${bars} bars` });
    }
  };

  const data = options.data;
  if (typeof (data as { chunks?: unknown }).chunks === 'function') {
    for await (const chunk of (data as { chunks(): AsyncIterable<readonly Bar[]> }).chunks())
      for (const bar of chunk) await add(bar);
  } else if (Symbol.iterator in data) {
    for (const bar of data as Iterable<Bar>) await add(bar);
  } else {
    for await (const bar of data as AsyncIterable<Bar>) await add(bar);
  }
  for (const [symbol, frame] of pending) await send(symbol, frame, true);
  await Promise.all(inFlight.splice(0));
  return { bars, frames, symbols: sent };
}
