import type { AccountBook } from '../account/account-book';

/**
 * A synchronous watcher of account equity, registered with `engine.addMonitor`. The engine calls it
 * after an account was marked by a bar of a symbol it has traded, and after every fill applied to
 * it; never when no monitor is registered. It runs inside the trading loop: keep it O(1), do not
 * allocate, do not await. It may change the trading state, cancel and submit orders.
 */
export interface RiskMonitor {
  /** `account` is the engine's live book (read it, never change it); `ts` is the bar's or fill's time. */
  onAccountUpdate(account: AccountBook, ts: number): void;
}
