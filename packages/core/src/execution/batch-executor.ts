import { isRxtradeError, RxtradeError } from '../errors';
import type { Order } from '../model/order';
import type { ExecutionClient } from '../ports/execution-client';
import { submitOutcome } from './resilient-client';

/**
 * What became of one order of a batch:
 * - `sent`: handed over to the venue; its fate arrives on the client's `events$`.
 * - `notSent`: definitely not at the venue (refused before sending, duplicate in the batch, aborted).
 * - `unknown`: may be at the venue (timeout, transport error): never resend it; reconcile it.
 */
export type BatchOutcome =
  | { readonly clientOrderId: string; readonly status: 'sent' }
  | { readonly clientOrderId: string; readonly status: 'notSent'; readonly error: RxtradeError }
  | { readonly clientOrderId: string; readonly status: 'unknown'; readonly error: RxtradeError };

/** Options of {@link AsyncOrderExecutor}. */
export interface AsyncOrderExecutorOptions {
  /** Orders in flight at once. Default 8. */
  readonly concurrency?: number;
}

const typed = (error: unknown): RxtradeError =>
  isRxtradeError(error)
    ? error
    : new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: error instanceof Error ? error.message : String(error),
        cause: error,
        details: { outcome: 'UNKNOWN' },
      });

/**
 * Sends many orders (or cancels) concurrently, at most `concurrency` at a time, and reports each one's
 * own outcome: one failure never fails the batch, and nothing is retried (a failed submission's outcome
 * is classified by {@link submitOutcome}, not repeated). Results come back in the input order. A
 * client order id that appears twice in one batch is sent once; the repeat is `notSent` with
 * `DUPLICATE_ORDER`. Put it in front of a {@link ResilientExecutionClient} so timeouts, the breaker and
 * rate limits apply to every order.
 *
 * @example
 * const executor = new AsyncOrderExecutor(client, { concurrency: 4 });
 * const outcomes = await executor.submitAll(orders);
 * const toReconcile = outcomes.filter((o) => o.status === 'unknown');
 */
export class AsyncOrderExecutor {
  readonly #client: ExecutionClient;
  readonly #concurrency: number;

  constructor(client: ExecutionClient, options: AsyncOrderExecutorOptions = {}) {
    const concurrency = options.concurrency ?? 8;
    if (!(Number.isInteger(concurrency) && concurrency > 0)) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: `concurrency must be an integer > 0, got ${concurrency}`,
      });
    }
    this.#client = client;
    this.#concurrency = concurrency;
  }

  /** Submits every order; resolves (never rejects) with one outcome per order, in order. */
  submitAll(orders: readonly Order[], options: { signal?: AbortSignal } = {}): Promise<BatchOutcome[]> {
    return this.#run(orders, (order) => this.#client.submitOrder(order), options.signal);
  }

  /** Requests a cancel of every order; resolves with one outcome per order, in order. */
  cancelAll(orders: readonly Order[], options: { signal?: AbortSignal } = {}): Promise<BatchOutcome[]> {
    return this.#run(orders, (order) => this.#client.cancelOrder(order), options.signal);
  }

  async #run(
    orders: readonly Order[],
    call: (order: Order) => Promise<void>,
    signal: AbortSignal | undefined,
  ): Promise<BatchOutcome[]> {
    const results = new Array<BatchOutcome>(orders.length);
    const seen = new Set<string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < orders.length; i = next++) {
        const order = orders[i] as Order;
        const clientOrderId = order.clientOrderId;
        if (seen.has(clientOrderId)) {
          results[i] = {
            clientOrderId,
            status: 'notSent',
            error: new RxtradeError({
              code: 'DUPLICATE_ORDER',
              message: `client order id ${clientOrderId} appears twice in the batch; sent once`,
              details: { outcome: 'NOT_SENT' },
            }),
          };
          continue;
        }
        seen.add(clientOrderId);
        if (signal?.aborted) {
          results[i] = {
            clientOrderId,
            status: 'notSent',
            error: new RxtradeError({
              code: 'CANCELED',
              message: 'batch aborted before this order was sent',
            }),
          };
          continue;
        }
        try {
          await call(order);
          results[i] = { clientOrderId, status: 'sent' };
        } catch (error) {
          const e = typed(error);
          results[i] = {
            clientOrderId,
            status: submitOutcome(e) === 'NOT_SENT' ? 'notSent' : 'unknown',
            error: e,
          };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, orders.length) }, worker));
    return results;
  }
}
