import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { binanceRequestWeight } from '../rate-limit';

/** A spot symbol the fake venue lists, with Binance's filters as decimal strings. */
export interface FakeSymbol {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minQty: string;
  readonly maxQty: string;
  readonly minNotional: string;
  /**
   * Order types the symbol takes (`exchangeInfo` `orderTypes`). Default Binance spot's usual list,
   * which has no stop-market: `LIMIT`, `LIMIT_MAKER`, `MARKET`, `STOP_LOSS_LIMIT`, `TAKE_PROFIT_LIMIT`.
   */
  readonly orderTypes?: readonly string[];
  /** OCO order lists allowed (`ocoAllowed`). Default true. */
  readonly ocoAllowed?: boolean;
}

/** Binance spot's usual `orderTypes` (no `STOP_LOSS` / `TAKE_PROFIT` market orders). */
export const DEFAULT_ORDER_TYPES: readonly string[] = [
  'LIMIT',
  'LIMIT_MAKER',
  'MARKET',
  'STOP_LOSS_LIMIT',
  'TAKE_PROFIT_LIMIT',
];

/** What can go wrong at the fake venue, for the next matching request(s). */
export type FakeFault =
  /** Hold the request without answering for `ms` (default: until the server closes). */
  | { readonly kind: 'timeout'; readonly ms?: number }
  /** Network delay on the way in: the request reaches the venue `ms` later, and counts against its limits then. */
  | { readonly kind: 'latency'; readonly ms: number }
  /** Answer 503 with Binance's "unknown error"; `processed` decides whether the request took effect first. */
  | { readonly kind: 'error5xx'; readonly processed?: boolean }
  /** Process the request (place the order), then cut the connection without an answer. */
  | { readonly kind: 'dropAfterAccept' }
  /** Answer 429 with `Retry-After` and code -1003, without processing. */
  | { readonly kind: 'rateLimit'; readonly retryAfterSeconds?: number }
  /** Refuse the order without processing: 400, code -2010, "Account has insufficient balance…" by default. */
  | { readonly kind: 'reject'; readonly code?: number; readonly msg?: string }
  /** Ban the IP for `ms`: this request and every one until then are answered 418 ("IP banned until …"), unprocessed. */
  | { readonly kind: 'ban'; readonly ms: number };

/** Which requests a fault applies to, and how many times. */
export interface FaultRule {
  readonly method?: string;
  /** Path such as `/api/v3/order`. */
  readonly path?: string;
  readonly fault: FakeFault;
  /** Matching requests it applies to. Default 1. */
  readonly times?: number;
}

/** One request the fake venue received. */
export interface RecordedRequest {
  /** Receipt time by the fake venue's clock, epoch ms. */
  readonly ts: number;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
}

/** One order in the fake venue's ledger (the ground truth of tests). */
export interface FakeOrder {
  readonly symbol: string;
  readonly orderId: number;
  readonly clientOrderId: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: string;
  readonly timeInForce: string;
  readonly price: number;
  /** Trigger of a stop or take-profit order; 0 for the others. */
  readonly stopPrice: number;
  /** The OCO list the order belongs to; -1 for none. */
  readonly orderListId: number;
  /** False while a stop or take-profit order waits for its trigger. */
  isWorking: boolean;
  origQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';
  readonly time: number;
  updateTime: number;
}

/** One trade in the fake venue's ledger. */
export interface FakeTrade {
  readonly symbol: string;
  readonly id: number;
  readonly orderId: number;
  readonly price: number;
  readonly qty: number;
  readonly commission: number;
  readonly commissionAsset: string;
  readonly time: number;
  readonly isBuyer: boolean;
  readonly isMaker: boolean;
}

/** A fixed-window limit: at most `limit` per window of `windowMs`, windows aligned to the venue clock's epoch. */
export interface FakeWindowLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * The venue's rate limits, enforced as Binance documents them: request weight per window per IP (every
 * request, weighted by {@link binanceRequestWeight}), order count per window and per day per account
 * (`POST /api/v3/order`). A request over a limit is answered 429 (code -1003) with `Retry-After` in
 * seconds until the window ends, and not processed; a client that keeps sending during a Retry-After
 * is banned after `banAfter` such requests: 418 with `Retry-After` for `banMs`.
 */
export interface FakeRateLimits {
  readonly weight?: FakeWindowLimit;
  readonly orders?: FakeWindowLimit;
  readonly ordersPerDay?: number;
  /** Requests sent during a Retry-After before the 418 ban. Default 3. */
  readonly banAfter?: number;
  /** Length of a ban. Default 120,000 ms. */
  readonly banMs?: number;
}

/** Binance spot's documented limits: 6,000 weight per minute per IP, 100 orders per 10 s and 200,000 per day per account. */
export const BINANCE_RATE_LIMITS: FakeRateLimits = {
  weight: { limit: 6_000, windowMs: 60_000 },
  orders: { limit: 100, windowMs: 10_000 },
  ordersPerDay: 200_000,
};

/** What the fake's rate limits saw (see {@link FakeRateLimits}). */
export interface FakeRateStats {
  /** Highest weight accepted in one weight window. */
  peakWeight: number;
  /** Highest order count accepted in one order window. */
  peakOrders: number;
  /** Requests answered 429 / 418. */
  answered429: number;
  answered418: number;
}

/** Options of {@link FakeBinance.start}. */
export interface FakeBinanceOptions {
  readonly apiKey?: string;
  readonly secret?: string;
  readonly symbols?: readonly FakeSymbol[];
  /** The venue's clock (klines, timestamps, the recvWindow check). Default `Date.now`. */
  readonly now?: () => number;
  /** The market price of a symbol at a time. Default: a deterministic wave around 30,000. */
  readonly price?: (symbol: string, ts: number) => number;
  /** Free balances by asset. Default 10,000 USDT and 1 BTC. */
  readonly balances?: Readonly<Record<string, number>>;
  /** Commission rate charged in the quote asset. Default 0.001. */
  readonly commission?: number;
  /** Enforce rate limits (e.g. {@link BINANCE_RATE_LIMITS}). Default: none enforced. */
  readonly rateLimits?: FakeRateLimits;
}

const DEFAULT_SYMBOL: FakeSymbol = {
  symbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  stepSize: '0.00001',
  minQty: '0.00001',
  maxQty: '9000.00000000',
  minNotional: '5.00000000',
};

/** A wave with a period of 8 s and ±1 % amplitude plus a slower drift: crossovers every few seconds. */
export function defaultPrice(_symbol: string, ts: number): number {
  const t = ts / 1000;
  return 30_000 * (1 + 0.01 * Math.sin((2 * Math.PI * t) / 8) + 0.002 * Math.sin((2 * Math.PI * t) / 61));
}

const INTERVAL_MS: Record<string, number> = {
  '1s': 1_000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

const KNOWN_TYPES = new Set([
  'LIMIT',
  'LIMIT_MAKER',
  'MARKET',
  'STOP_LOSS',
  'STOP_LOSS_LIMIT',
  'TAKE_PROFIT',
  'TAKE_PROFIT_LIMIT',
]);
/** Types with a limit price. */
const LIMIT_TYPES = new Set(['LIMIT', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT']);
/** Types with a trigger (`stopPrice`). */
const STOP_TYPES = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Decimals of a decimal string such as `0.00001000` (trailing zeros ignored). */
function decimals(text: string): number {
  const frac = text.split('.')[1]?.replace(/0+$/, '') ?? '';
  return frac.length;
}

/** Scaled integer of a decimal string at `scale` decimals, or NaN if it has more. */
function units(text: string, scale: number): number {
  if (!/^\d+(\.\d+)?$/.test(text)) return Number.NaN;
  const [whole = '0', frac = ''] = text.split('.');
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > scale) return Number.NaN;
  return Number(whole) * 10 ** scale + Number(trimmed.padEnd(scale, '0') || '0');
}

const fmt = (n: number, d = 8): string => n.toFixed(d);

/**
 * A local fake of the Binance spot REST API, as ccxt's `binance` calls it: `exchangeInfo`, `klines`,
 * `time`, `ping`, order placement, cancel and query, `openOrders`, `myTrades`, `account`, with API-key
 * and HMAC-SHA256 signature checks (`X-MBX-APIKEY`, `signature`, `timestamp` within `recvWindow`) and
 * Binance's filter rules (PRICE_FILTER, LOT_SIZE, NOTIONAL) and error codes. It listens on 127.0.0.1
 * on a free port; {@link pointCcxtAtFakeBinance} points a ccxt exchange at it, so nothing reaches the
 * internet. Faults are scripted per request ({@link FaultRule}); every request is recorded with its
 * receipt time ({@link requests}), and the order and trade ledger is the ground truth of tests.
 *
 * Matching: a market order fills at once at the market price (all of it, or `partialFillRatio` of it
 * with the rest expired); a limit order that crosses the market fills at the market price (taker),
 * else it rests and fills at its limit when the price path reaches it (maker), checked on every request.
 * A `newClientOrderId` equal to an open order's is refused (-2010 "Duplicate order sent."); equal to a
 * finished order's is accepted as a new order, as Binance does — which is why a blind resend is unsafe.
 */
export class FakeBinance {
  readonly apiKey: string;
  readonly secret: string;
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** Share of a taking order filled at once (the rest of a market order expires; of a limit order rests). Default 1. */
  partialFillRatio = 1;
  /** Taking orders fill this many basis points worse than the market (buys higher, sells lower), to the tick. Default 0. */
  takerSlippageBps = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #symbols = new Map<string, FakeSymbol>();
  readonly #now: () => number;
  readonly #price: (symbol: string, ts: number) => number;
  readonly #commission: number;
  readonly #balances = new Map<string, { free: number; locked: number }>();
  readonly #orders: FakeOrder[] = [];
  readonly #trades: FakeTrade[] = [];
  readonly #faults: { rule: FaultRule; left: number }[] = [];
  readonly #held = new Set<ServerResponse>();
  #orderSeq = 1000;
  #listSeq = 0;
  #tradeSeq = 5000;
  readonly #limits: FakeRateLimits | undefined;
  readonly #used = { weightWindow: -1, weight: 0, orderWindow: -1, orders: 0, day: -1, dayOrders: 0 };
  #retryAfterUntil = 0;
  #faultBanUntil = 0;
  #violations = 0;
  #bannedUntil = 0;
  /** What the rate limits saw; all zero when none are enforced. */
  readonly rateStats: FakeRateStats = { peakWeight: 0, peakOrders: 0, answered429: 0, answered418: 0 };

  private constructor(server: Server, url: string, options: FakeBinanceOptions) {
    this.#server = server;
    this.url = url;
    this.apiKey = options.apiKey ?? 'test-api-key';
    this.secret = options.secret ?? 'test-api-secret';
    for (const s of options.symbols ?? [DEFAULT_SYMBOL]) this.#symbols.set(s.symbol, s);
    this.#now = options.now ?? Date.now;
    this.#price = options.price ?? defaultPrice;
    this.#commission = options.commission ?? 0.001;
    this.#limits = options.rateLimits;
    for (const [asset, free] of Object.entries(options.balances ?? { USDT: 10_000, BTC: 1 })) {
      this.#balances.set(asset, { free, locked: 0 });
    }
  }

  /** Starts a fake venue on 127.0.0.1 and a free port. Close it with {@link close}. */
  static async start(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
    let fake: FakeBinance | undefined;
    const server = createServer((req, res) => {
      (fake as FakeBinance).#handle(req, res);
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const created = new FakeBinance(server, `http://127.0.0.1:${port}`, options);
    fake = created;
    server.on('connection', (socket) => {
      created.#sockets.add(socket);
      socket.on('close', () => created.#sockets.delete(socket));
    });
    return created;
  }

  /** Scripts a fault for the next matching request(s). */
  fault(rule: FaultRule): void {
    this.#faults.push({ rule, left: rule.times ?? 1 });
  }

  /** Removes every scripted fault. */
  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** The order ledger. */
  get orders(): readonly FakeOrder[] {
    return this.#orders;
  }

  /** The trade ledger. */
  get trades(): readonly FakeTrade[] {
    return this.#trades;
  }

  /** Requests for one method and path. */
  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  /** Fills a resting order now (all that is left, or `qty`), at its limit or `price`, as a maker. */
  fillOrder(clientOrderId: string, options: { qty?: number; price?: number } = {}): FakeTrade {
    const order = this.#orders.find((o) => o.clientOrderId === clientOrderId && this.#isOpen(o));
    if (!order) throw new Error(`no open order ${clientOrderId} at the fake venue`);
    const qty = options.qty ?? order.origQty - order.executedQty;
    return this.#fill(order, { qty, price: options.price ?? order.price, maker: true });
  }

  /** Places an order as if someone else had (another app, a person on the website). */
  placeExternalOrder(order: {
    symbol?: string;
    clientOrderId: string;
    side: 'BUY' | 'SELL';
    price: number;
    qty: number;
  }): FakeOrder {
    const placed: FakeOrder = {
      symbol: order.symbol ?? DEFAULT_SYMBOL.symbol,
      orderId: ++this.#orderSeq,
      clientOrderId: order.clientOrderId,
      side: order.side,
      type: 'LIMIT',
      timeInForce: 'GTC',
      price: order.price,
      stopPrice: 0,
      orderListId: -1,
      isWorking: true,
      origQty: order.qty,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      status: 'NEW',
      time: this.#now(),
      updateTime: this.#now(),
    };
    this.#orders.push(placed);
    return placed;
  }

  /** Stops listening and cuts every connection (held requests included). Idempotent. */
  async close(): Promise<void> {
    for (const res of this.#held) res.socket?.destroy();
    this.#held.clear();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- HTTP ----

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const path = url.pathname;
      const query = url.search.slice(1);
      const params: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(query)) params[k] = v;
      for (const [k, v] of new URLSearchParams(body)) params[k] = v;
      const fault = this.#takeFault(method, path);
      const request = { method, path, params, query, body };
      if (fault?.kind === 'latency') {
        setTimeout(() => this.#arrive({ req, res }, request, undefined), fault.ms);
      } else {
        this.#arrive({ req, res }, request, fault);
      }
    });
  }

  /** A request as it reaches the venue (after any scripted network delay). */
  #arrive(
    { req, res }: { req: IncomingMessage; res: ServerResponse },
    request: { method: string; path: string; params: Record<string, string>; query: string; body: string },
    fault: FakeFault | undefined,
  ): void {
    const { method, path, params, query, body } = request;
    const ts = this.#now();
    const record = (status: number): void => {
      this.requests.push({ ts, method, path, params, status });
    };
    if (fault?.kind === 'ban') this.#faultBanUntil = ts + fault.ms;
    if (ts < this.#faultBanUntil) {
      this.rateStats.answered418++;
      record(418);
      res.writeHead(418, {
        'content-type': 'application/json',
        'retry-after': String(Math.max(1, Math.ceil((this.#faultBanUntil - ts) / 1000))),
      });
      res.end(
        JSON.stringify({
          code: -1003,
          msg: `Way too many requests; IP banned until ${this.#faultBanUntil}.`,
        }),
      );
      return;
    }
    if (fault?.kind === 'timeout') {
      record(0);
      this.#held.add(res);
      if (fault.ms !== undefined) {
        setTimeout(() => {
          this.#held.delete(res);
          this.#respond({ req, res, record }, { method, path, params, query, body });
        }, fault.ms).unref();
      }
      return;
    }
    if (fault?.kind === 'rateLimit') {
      record(429);
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(fault.retryAfterSeconds ?? 1),
      });
      res.end(
        JSON.stringify({ code: -1003, msg: 'Too many requests; current limit is 10 orders per SECOND.' }),
      );
      return;
    }
    if (fault?.kind === 'reject') {
      record(400);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          code: fault.code ?? -2010,
          msg: fault.msg ?? 'Account has insufficient balance for requested action.',
        }),
      );
      return;
    }
    if (fault?.kind === 'error5xx') {
      if (fault.processed) this.#dispatch({ method, path, params });
      record(503);
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          code: -1001,
          msg: 'Internal error; unable to process your request. Please try again.',
        }),
      );
      return;
    }
    if (fault?.kind === 'dropAfterAccept') {
      try {
        this.#dispatch({ method, path, params });
      } catch {
        // The request took effect or not; either way the answer is lost.
      }
      record(0);
      res.socket?.destroy();
      return;
    }
    if (this.#limits && this.#refuseForRate({ method, path, params, ts, res, record })) return;
    this.#respond({ req, res, record }, { method, path, params, query, body });
  }

  /** Applies {@link FakeRateLimits}: counts the request, or answers 429/418 and returns true. */
  #refuseForRate(request: {
    method: string;
    path: string;
    params: Record<string, string>;
    ts: number;
    res: ServerResponse;
    record: (status: number) => void;
  }): boolean {
    const limits = this.#limits as FakeRateLimits;
    const { method, path, params, ts, res, record } = request;
    const refuse = (status: 418 | 429, retryAfterMs: number, msg: string): true => {
      if (status === 429) this.rateStats.answered429++;
      else this.rateStats.answered418++;
      record(status);
      res.writeHead(status, {
        'content-type': 'application/json',
        'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      });
      res.end(JSON.stringify({ code: -1003, msg }));
      return true;
    };
    if (ts < this.#bannedUntil) {
      return refuse(
        418,
        this.#bannedUntil - ts,
        `Way too many requests; IP banned until ${this.#bannedUntil}.`,
      );
    }
    if (ts < this.#retryAfterUntil && ++this.#violations >= (limits.banAfter ?? 3)) {
      this.#bannedUntil = ts + (limits.banMs ?? 120_000);
      this.#violations = 0;
      return refuse(
        418,
        this.#bannedUntil - ts,
        `Way too many requests; IP banned until ${this.#bannedUntil}.`,
      );
    }
    const used = this.#used;
    const tooMany = (windowMs: number, what: string): true => {
      const end = (Math.floor(ts / windowMs) + 1) * windowMs;
      this.#retryAfterUntil = Math.max(this.#retryAfterUntil, end);
      return refuse(
        429,
        end - ts,
        `Too many ${what}; current limit exceeded. Please use the Retry-After header.`,
      );
    };
    const weight = binanceRequestWeight(method, path, params);
    if (limits.weight) {
      const window = Math.floor(ts / limits.weight.windowMs);
      if (window !== used.weightWindow) {
        used.weightWindow = window;
        used.weight = 0;
      }
      if (used.weight + weight > limits.weight.limit) return tooMany(limits.weight.windowMs, 'requests');
    }
    const isOcoList = method === 'POST' && path === '/api/v3/orderList/oco';
    const isOrder = (method === 'POST' && path === '/api/v3/order') || isOcoList;
    const count = isOcoList ? 2 : 1; // an OCO counts as two orders
    if (isOrder && limits.orders) {
      const window = Math.floor(ts / limits.orders.windowMs);
      if (window !== used.orderWindow) {
        used.orderWindow = window;
        used.orders = 0;
      }
      if (used.orders + count > limits.orders.limit) return tooMany(limits.orders.windowMs, 'new orders');
    }
    if (isOrder && limits.ordersPerDay !== undefined) {
      const day = Math.floor(ts / 86_400_000);
      if (day !== used.day) {
        used.day = day;
        used.dayOrders = 0;
      }
      if (used.dayOrders + count > limits.ordersPerDay) return tooMany(86_400_000, 'orders today');
    }
    if (limits.weight) {
      used.weight += weight;
      this.rateStats.peakWeight = Math.max(this.rateStats.peakWeight, used.weight);
    }
    if (isOrder) {
      if (limits.orders) {
        used.orders += count;
        this.rateStats.peakOrders = Math.max(this.rateStats.peakOrders, used.orders);
      }
      used.dayOrders += count;
    }
    return false;
  }

  #takeFault(method: string, path: string): FakeFault | undefined {
    const i = this.#faults.findIndex(
      (f) =>
        (f.rule.method === undefined || f.rule.method === method) &&
        (f.rule.path === undefined || f.rule.path === path),
    );
    if (i < 0) return undefined;
    const f = this.#faults[i] as { rule: FaultRule; left: number };
    if (--f.left <= 0) this.#faults.splice(i, 1);
    return f.rule.fault;
  }

  #respond(
    exchange: { req: IncomingMessage; res: ServerResponse; record: (status: number) => void },
    request: { method: string; path: string; params: Record<string, string>; query: string; body: string },
  ): void {
    const { req, res, record } = exchange;
    let status = 200;
    let payload: unknown;
    try {
      this.#authenticate(req, request);
      payload = this.#dispatch(request);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      payload = { code: error.code, msg: error.message };
    }
    record(status);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  }

  #authenticate(
    req: IncomingMessage,
    request: { path: string; params: Record<string, string>; query: string; body: string },
  ): void {
    if (!request.params['signature']) return; // public endpoint (private ones check below)
    if (req.headers['x-mbx-apikey'] !== this.apiKey) {
      throw new ApiError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    }
    const signed = `${request.query}${request.body}`;
    const cut = signed.lastIndexOf('signature=');
    const payload = signed.slice(0, cut).replace(/&$/, '');
    const expected = createHmac('sha256', this.secret).update(payload).digest('hex');
    const given = Buffer.from(request.params['signature'], 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, 'utf8'))) {
      throw new ApiError(400, -1022, 'Signature for this request is not valid.');
    }
    const timestamp = Number(request.params['timestamp']);
    const recvWindow = Number(request.params['recvWindow'] ?? 5000);
    const now = this.#now();
    if (!Number.isFinite(timestamp) || timestamp >= now + 1000 || now - timestamp > recvWindow) {
      throw new ApiError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
    }
  }

  #requireSigned(params: Record<string, string>): void {
    if (!params['signature']) throw new ApiError(401, -2014, 'API-key format invalid.');
  }

  #dispatch(request: {
    readonly method: string;
    readonly path: string;
    readonly params: Record<string, string>;
  }): unknown {
    const { method, path, params } = request;
    this.#matchResting();
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /api/v3/ping':
        return {};
      case 'GET /api/v3/time':
        return { serverTime: this.#now() };
      case 'GET /api/v3/exchangeInfo':
        return this.#exchangeInfo();
      case 'GET /api/v3/klines':
        return this.#klines(params);
      case 'POST /api/v3/order':
        this.#requireSigned(params);
        return this.#newOrder(params);
      case 'POST /api/v3/orderList/oco':
        this.#requireSigned(params);
        return this.#newOco(params);
      case 'PUT /api/v3/order/amend/keepPriority':
        this.#requireSigned(params);
        return this.#amendKeepPriority(params);
      case 'DELETE /api/v3/order':
        this.#requireSigned(params);
        return this.#cancel(params);
      case 'GET /api/v3/order':
        this.#requireSigned(params);
        return this.#orderJson(this.#findOrder(params, -2013, 'Order does not exist.'));
      case 'GET /api/v3/openOrders':
        this.#requireSigned(params);
        return this.#orders
          .filter((o) => this.#isOpen(o) && (params['symbol'] === undefined || o.symbol === params['symbol']))
          .map((o) => this.#orderJson(o));
      case 'GET /api/v3/myTrades':
        this.#requireSigned(params);
        return this.#myTrades(params);
      case 'GET /api/v3/account':
        this.#requireSigned(params);
        return this.#account();
      default:
        throw new ApiError(404, -1000, `the fake venue does not serve ${route}`);
    }
  }

  // ---- Endpoints ----

  #exchangeInfo(): unknown {
    return {
      timezone: 'UTC',
      serverTime: this.#now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      ],
      exchangeFilters: [],
      symbols: [...this.#symbols.values()].map((s) => ({
        symbol: s.symbol,
        status: 'TRADING',
        baseAsset: s.base,
        baseAssetPrecision: 8,
        quoteAsset: s.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: [...(s.orderTypes ?? DEFAULT_ORDER_TYPES)],
        icebergAllowed: true,
        ocoAllowed: s.ocoAllowed ?? true,
        otoAllowed: false,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          {
            filterType: 'PRICE_FILTER',
            minPrice: s.tickSize,
            maxPrice: '1000000.00000000',
            tickSize: s.tickSize,
          },
          { filterType: 'LOT_SIZE', minQty: s.minQty, maxQty: s.maxQty, stepSize: s.stepSize },
          {
            filterType: 'NOTIONAL',
            minNotional: s.minNotional,
            applyMinToMarket: true,
            maxNotional: '9000000.00000000',
            applyMaxToMarket: false,
            avgPriceMins: 5,
          },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }

  #klines(params: Record<string, string>): unknown {
    const symbol = this.#symbol(params['symbol']);
    const step = INTERVAL_MS[params['interval'] ?? ''];
    if (step === undefined) throw new ApiError(400, -1120, 'Invalid interval.');
    const limit = Math.min(Number(params['limit'] ?? 500), 1000);
    const now = this.#now();
    const end = params['endTime'] ? Math.min(Number(params['endTime']), now) : now;
    const lastOpen = Math.floor(end / step) * step;
    let first = params['startTime']
      ? Math.ceil(Number(params['startTime']) / step) * step
      : lastOpen - (limit - 1) * step;
    first = Math.max(first, lastOpen - 100_000 * step);
    const rows: unknown[] = [];
    for (let open = first; open <= lastOpen && rows.length < limit; open += step) {
      const close = Math.min(open + step - 1, now);
      const samples: number[] = [];
      for (let i = 0; i <= 10; i++)
        samples.push(this.#round(symbol, this.#price(symbol.symbol, open + ((close - open) * i) / 10)));
      const o = samples[0] as number;
      const c = samples[10] as number;
      const volume = 10 + ((open / step) % 7);
      rows.push([
        open,
        fmt(o, 2),
        fmt(Math.max(...samples), 2),
        fmt(Math.min(...samples), 2),
        fmt(c, 2),
        fmt(volume),
        open + step - 1,
        fmt(volume * c),
        100,
        fmt(volume / 2),
        fmt((volume / 2) * c),
        '0',
      ]);
    }
    return rows;
  }

  #newOrder(params: Record<string, string>): unknown {
    const order = this.#buildOrder(params, { side: params['side'] ?? '', prefix: '', orderListId: -1 });
    return this.#place(order);
  }

  /**
   * Checks one order's parameters (`prefix` `above`/`below` for an OCO leg: `aboveType`, …) and
   * returns it, not yet in the ledger; throws Binance's error when it may not be placed.
   */
  #buildOrder(
    params: Record<string, string>,
    leg: { side: string; prefix: string; orderListId: number },
  ): FakeOrder {
    const { side, prefix, orderListId } = leg;
    const symbol = this.#symbol(params['symbol']);
    const key = (name: string): string =>
      prefix === '' ? name : `${prefix}${name[0]?.toUpperCase()}${name.slice(1)}`;
    const type = params[key('type')] ?? '';
    if (side !== 'BUY' && side !== 'SELL')
      throw new ApiError(400, -1102, "Mandatory parameter 'side' was not sent.");
    if (!KNOWN_TYPES.has(type) || !(symbol.orderTypes ?? DEFAULT_ORDER_TYPES).includes(type)) {
      throw new ApiError(400, -1116, 'Invalid orderType.');
    }
    const clientOrderId =
      params[prefix === '' ? 'newClientOrderId' : key('clientOrderId')] ?? `fake-${this.#orderSeq + 1}`;
    if (!/^[.A-Z:/a-z0-9_-]{1,36}$/.test(clientOrderId)) {
      throw new ApiError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'.");
    }
    const qtyText = params['quantity'] ?? '';
    const qDec = decimals(symbol.stepSize);
    const qty = units(qtyText, qDec);
    if (Number.isNaN(qty) || qty % units(symbol.stepSize, qDec) !== 0) {
      throw new ApiError(400, -1013, 'Filter failure: LOT_SIZE');
    }
    if (qty < units(symbol.minQty, qDec) || qty > units(symbol.maxQty, qDec)) {
      throw new ApiError(400, -1013, 'Filter failure: LOT_SIZE');
    }
    const pDec = decimals(symbol.tickSize);
    const onTick = (text: string | undefined): number => {
      const p = units(text ?? '', pDec);
      if (Number.isNaN(p) || p <= 0 || p % units(symbol.tickSize, pDec) !== 0) {
        throw new ApiError(400, -1013, 'Filter failure: PRICE_FILTER');
      }
      return p / 10 ** pDec;
    };
    const hasLimit = LIMIT_TYPES.has(type);
    const price = hasLimit ? onTick(params[key('price')]) : 0;
    const stopPrice = STOP_TYPES.has(type) ? onTick(params[key('stopPrice')]) : 0;
    const tif = params[key('timeInForce')];
    if (hasLimit && type !== 'LIMIT_MAKER' && !tif)
      throw new ApiError(400, -1102, "Mandatory parameter 'timeInForce' was not sent.");
    const market = this.#round(symbol, this.#price(symbol.symbol, this.#now()));
    const quantity = qty / 10 ** qDec;
    if ((price || stopPrice || market) * quantity < Number(symbol.minNotional)) {
      throw new ApiError(400, -1013, 'Filter failure: NOTIONAL');
    }
    if (stopPrice > 0 && this.#triggers({ type, side: side as 'BUY' | 'SELL', stopPrice }, market)) {
      throw new ApiError(400, -2010, 'Stop price would trigger immediately.');
    }
    if (type === 'LIMIT_MAKER' && (side === 'BUY' ? price >= market : price <= market)) {
      throw new ApiError(400, -2010, 'Order would immediately match and take.');
    }
    if (this.#orders.some((o) => o.clientOrderId === clientOrderId && this.#isOpen(o))) {
      throw new ApiError(400, -2010, 'Duplicate order sent.');
    }
    const now = this.#now();
    return {
      symbol: symbol.symbol,
      orderId: 0,
      clientOrderId,
      side,
      type,
      timeInForce: hasLimit && type !== 'LIMIT_MAKER' ? (tif ?? 'GTC') : 'GTC',
      price,
      stopPrice,
      orderListId,
      isWorking: stopPrice === 0,
      origQty: quantity,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      status: 'NEW',
      time: now,
      updateTime: now,
    };
  }

  /** Puts a checked order in the ledger and matches it if it takes; Binance's FULL answer. */
  #place(built: FakeOrder): Record<string, unknown> {
    const order: FakeOrder = { ...built, orderId: ++this.#orderSeq };
    this.#orders.push(order);
    const fills = order.isWorking ? this.#takeIfCrossing(order) : [];
    return {
      ...this.#orderJson(order),
      transactTime: order.time,
      fills: fills.map((t) => ({
        price: fmt(t.price),
        qty: fmt(t.qty),
        commission: fmt(t.commission),
        commissionAsset: t.commissionAsset,
        tradeId: t.id,
      })),
    };
  }

  /** A working market or limit order that crosses the market fills now, as a taker (a market order's rest expires). */
  #takeIfCrossing(order: FakeOrder): FakeTrade[] {
    const symbol = this.#symbols.get(order.symbol) as FakeSymbol;
    const market = this.#round(symbol, this.#price(symbol.symbol, this.#now()));
    const isMarket = !LIMIT_TYPES.has(order.type);
    const crosses = isMarket || (order.side === 'BUY' ? order.price >= market : order.price <= market);
    if (!crosses) return [];
    const qDec = decimals(symbol.stepSize);
    const qty = Math.round((order.origQty - order.executedQty) * 10 ** qDec);
    const step = units(symbol.stepSize, qDec);
    const share = Math.floor((qty * this.partialFillRatio) / step) * step;
    const fills: FakeTrade[] = [];
    const slip = (order.side === 'BUY' ? 1 : -1) * market * (this.takerSlippageBps / 10_000);
    const fillPx = this.#round(symbol, market + slip);
    if (share > 0) fills.push(this.#fill(order, { qty: share / 10 ** qDec, price: fillPx, maker: false }));
    if (isMarket && order.status !== 'FILLED') {
      order.status = 'EXPIRED';
      order.updateTime = this.#now();
    }
    return fills;
  }

  /** True when a stop (`STOP_LOSS*`) or take-profit (`TAKE_PROFIT*`) order triggers at `market`. */
  #triggers(order: Pick<FakeOrder, 'type' | 'side' | 'stopPrice'>, market: number): boolean {
    const stopLoss = order.type.startsWith('STOP_LOSS');
    const up = order.side === 'BUY' ? stopLoss : !stopLoss; // triggers on a rise to the stop price
    return up ? market >= order.stopPrice : market <= order.stopPrice;
  }

  /**
   * `POST /api/v3/orderList/oco`: two orders of one side and quantity, `above` and `below` the market
   * (a SELL's above is LIMIT_MAKER or TAKE_PROFIT*, its below STOP_LOSS*; a BUY's the other way round).
   * Both are checked before either is placed. When either fills (even in part) or triggers, the other
   * expires; canceling either cancels both.
   */
  #newOco(params: Record<string, string>): unknown {
    const symbol = this.#symbol(params['symbol']);
    if (symbol.ocoAllowed === false)
      throw new ApiError(400, -1116, 'OCO orders are not supported for this symbol.');
    const side = params['side'] ?? '';
    const profit = (t: string | undefined) => t === 'LIMIT_MAKER' || t?.startsWith('TAKE_PROFIT') === true;
    const loss = (t: string | undefined) => t?.startsWith('STOP_LOSS') === true;
    const [upper, lower] = side === 'SELL' ? [profit, loss] : [loss, profit];
    if (!upper(params['aboveType']) || !lower(params['belowType'])) {
      throw new ApiError(400, -1014, 'Unsupported order combination.');
    }
    const listId = ++this.#listSeq;
    const above = this.#buildOrder(params, { side, prefix: 'above', orderListId: listId });
    const below = this.#buildOrder(params, { side, prefix: 'below', orderListId: listId });
    if (above.clientOrderId === below.clientOrderId) throw new ApiError(400, -2010, 'Duplicate order sent.');
    const reports = [this.#place(below), this.#place(above)];
    const placed = this.#orders.slice(-2);
    return {
      orderListId: listId,
      contingencyType: 'OCO',
      listStatusType: 'EXEC_STARTED',
      listOrderStatus: 'EXECUTING',
      listClientOrderId: params['listClientOrderId'] ?? `list-${listId}`,
      transactionTime: this.#now(),
      symbol: symbol.symbol,
      orders: placed.map((o) => ({ symbol: o.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
      orderReports: reports,
    };
  }

  /** An OCO leg filled or triggered: the other legs still open expire. */
  #expireSiblings(order: FakeOrder): void {
    if (order.orderListId < 0) return;
    for (const other of this.#orders) {
      if (other.orderListId !== order.orderListId || other === order || !this.#isOpen(other)) continue;
      other.status = 'EXPIRED';
      other.updateTime = this.#now();
    }
  }

  /**
   * `PUT /api/v3/order/amend/keepPriority`: lowers an open order's quantity in place (`newQty` above
   * what has filled, below the quantity); it keeps its place in the book. Nothing else can be amended.
   */
  #amendKeepPriority(params: Record<string, string>): unknown {
    const order = this.#findOrder(params, -2013, 'Order does not exist.');
    if (!this.#isOpen(order)) throw new ApiError(400, -2013, 'Order does not exist.');
    const symbol = this.#symbols.get(order.symbol) as FakeSymbol;
    const qDec = decimals(symbol.stepSize);
    const qty = units(params['newQty'] ?? '', qDec);
    if (Number.isNaN(qty) || qty % units(symbol.stepSize, qDec) !== 0)
      throw new ApiError(400, -1013, 'Filter failure: LOT_SIZE');
    const newQty = qty / 10 ** qDec;
    if (!(newQty < order.origQty) || !(newQty > order.executedQty)) {
      throw new ApiError(400, -2038, 'Order amend (quantity increase) is not supported.');
    }
    order.origQty = newQty;
    order.updateTime = this.#now();
    return {
      transactTime: order.updateTime,
      executionId: ++this.#tradeSeq,
      amendedOrder: this.#orderJson(order),
    };
  }

  #cancel(params: Record<string, string>): unknown {
    const order = this.#findOrder(params, -2011, 'Unknown order sent.');
    if (!this.#isOpen(order)) throw new ApiError(400, -2011, 'Unknown order sent.');
    for (const o of this.#orders) {
      if (o !== order && (order.orderListId < 0 || o.orderListId !== order.orderListId || !this.#isOpen(o)))
        continue;
      o.status = 'CANCELED';
      o.updateTime = this.#now();
    }
    return this.#orderJson(order);
  }

  #myTrades(params: Record<string, string>): unknown {
    const symbol = this.#symbol(params['symbol']);
    const start = params['startTime'] ? Number(params['startTime']) : Number.NEGATIVE_INFINITY;
    const end = params['endTime'] ? Number(params['endTime']) : Number.POSITIVE_INFINITY;
    const fromId = params['fromId'] ? Number(params['fromId']) : Number.NEGATIVE_INFINITY;
    const orderId = params['orderId'] ? Number(params['orderId']) : undefined;
    const limit = Math.min(Number(params['limit'] ?? 500), 1000);
    return this.#trades
      .filter(
        (t) =>
          t.symbol === symbol.symbol &&
          t.time >= start &&
          t.time <= end &&
          t.id >= fromId &&
          (orderId === undefined || t.orderId === orderId),
      )
      .slice(0, limit)
      .map((t) => ({
        symbol: t.symbol,
        id: t.id,
        orderId: t.orderId,
        orderListId: -1,
        price: fmt(t.price),
        qty: fmt(t.qty),
        quoteQty: fmt(t.price * t.qty),
        commission: fmt(t.commission),
        commissionAsset: t.commissionAsset,
        time: t.time,
        isBuyer: t.isBuyer,
        isMaker: t.isMaker,
        isBestMatch: true,
      }));
  }

  #account(): unknown {
    return {
      makerCommission: 10,
      takerCommission: 10,
      buyerCommission: 0,
      sellerCommission: 0,
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      updateTime: this.#now(),
      accountType: 'SPOT',
      balances: [...this.#balances].map(([asset, b]) => ({
        asset,
        free: fmt(b.free),
        locked: fmt(b.locked),
      })),
      permissions: ['SPOT'],
    };
  }

  // ---- Ledger ----

  #symbol(id: string | undefined): FakeSymbol {
    const symbol = id === undefined ? undefined : this.#symbols.get(id);
    if (!symbol) throw new ApiError(400, -1121, 'Invalid symbol.');
    return symbol;
  }

  #round(symbol: FakeSymbol, price: number): number {
    const d = decimals(symbol.tickSize);
    return Math.round(price * 10 ** d) / 10 ** d;
  }

  #findOrder(params: Record<string, string>, code: number, message: string): FakeOrder {
    const orderId = params['orderId'] ? Number(params['orderId']) : undefined;
    const clientId = params['origClientOrderId'];
    // The most recent order with that client id (Binance reuses ids of finished orders).
    const order = [...this.#orders]
      .reverse()
      .find(
        (o) =>
          o.symbol === params['symbol'] &&
          (orderId !== undefined ? o.orderId === orderId : o.clientOrderId === clientId),
      );
    if (!order) throw new ApiError(400, code, message);
    return order;
  }

  #isOpen(order: FakeOrder): boolean {
    return order.status === 'NEW' || order.status === 'PARTIALLY_FILLED';
  }

  #matchResting(): void {
    const now = this.#now();
    for (const order of this.#orders) {
      if (!this.#isOpen(order)) continue;
      const symbol = this.#symbols.get(order.symbol) as FakeSymbol;
      const market = this.#round(symbol, this.#price(order.symbol, now));
      if (!order.isWorking) {
        if (!this.#triggers(order, market)) continue;
        order.isWorking = true;
        order.updateTime = now;
        this.#expireSiblings(order);
        this.#takeIfCrossing(order);
        continue;
      }
      if (!LIMIT_TYPES.has(order.type)) continue;
      if (order.side === 'BUY' ? market <= order.price : market >= order.price) {
        this.#fill(order, { qty: order.origQty - order.executedQty, price: order.price, maker: true });
      }
    }
  }

  #fill(order: FakeOrder, at: { qty: number; price: number; maker: boolean }): FakeTrade {
    const { qty, price, maker } = at;
    const symbol = this.#symbols.get(order.symbol) as FakeSymbol;
    const qDec = decimals(symbol.stepSize);
    const left = Math.round((order.origQty - order.executedQty) * 10 ** qDec);
    const take = Math.min(Math.round(qty * 10 ** qDec), left);
    const q = take / 10 ** qDec;
    const commission = Math.round(price * q * this.#commission * 1e8) / 1e8;
    const trade: FakeTrade = {
      symbol: order.symbol,
      id: ++this.#tradeSeq,
      orderId: order.orderId,
      price,
      qty: q,
      commission,
      commissionAsset: symbol.quote,
      time: this.#now(),
      isBuyer: order.side === 'BUY',
      isMaker: maker,
    };
    this.#trades.push(trade);
    order.executedQty = (Math.round(order.executedQty * 10 ** qDec) + take) / 10 ** qDec;
    order.cummulativeQuoteQty += price * q;
    order.status = take === left ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = trade.time;
    this.#expireSiblings(order);
    const base = this.#balances.get(symbol.base) ?? { free: 0, locked: 0 };
    const quote = this.#balances.get(symbol.quote) ?? { free: 0, locked: 0 };
    const sign = order.side === 'BUY' ? 1 : -1;
    base.free += sign * q;
    quote.free -= sign * price * q + commission;
    this.#balances.set(symbol.base, base);
    this.#balances.set(symbol.quote, quote);
    return trade;
  }

  #orderJson(o: FakeOrder): Record<string, unknown> {
    return {
      symbol: o.symbol,
      orderId: o.orderId,
      orderListId: o.orderListId,
      clientOrderId: o.clientOrderId,
      price: fmt(o.price),
      origQty: fmt(o.origQty),
      executedQty: fmt(o.executedQty),
      cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
      status: o.status,
      timeInForce: o.timeInForce,
      type: o.type,
      side: o.side,
      stopPrice: fmt(o.stopPrice),
      icebergQty: '0.00000000',
      time: o.time,
      updateTime: o.updateTime,
      isWorking: o.isWorking,
      workingTime: o.time,
      origQuoteOrderQty: '0.00000000',
      selfTradePreventionMode: 'NONE',
    };
  }
}

/** The subset of a ccxt exchange that {@link pointCcxtAtFakeBinance} changes. */
export interface CcxtUrlTarget {
  urls: { api?: unknown } & Record<string, unknown>;
  options: Record<string, unknown>;
  apiKey: string;
  secret: string;
}

/**
 * Points a ccxt `binance` exchange at a fake venue: every base URL in `urls.api` (public, private, sapi,
 * fapi, …) moves to the fake's origin with its path kept, so any call, served or not, stays on
 * 127.0.0.1; sets the fake's key and secret; and keeps `loadMarkets` to the spot `exchangeInfo` call
 * (no margin pairs, no currencies, no futures markets).
 */
export function pointCcxtAtFakeBinance(
  exchange: CcxtUrlTarget,
  fake: Pick<FakeBinance, 'url' | 'apiKey' | 'secret'>,
): void {
  const api = exchange.urls.api as Record<string, string>;
  const moved: Record<string, string> = {};
  for (const [key, value] of Object.entries(api)) {
    const url = new URL(value);
    moved[key] = `${fake.url}${url.pathname}`;
  }
  exchange.urls.api = moved;
  exchange.apiKey = fake.apiKey;
  exchange.secret = fake.secret;
  exchange.options['fetchMarkets'] = { types: ['spot'] };
  exchange.options['fetchCurrencies'] = false;
  exchange.options['fetchMargins'] = false;
}
