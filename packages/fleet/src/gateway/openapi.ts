import { z } from 'zod';
import {
  CancelBodySchema,
  CanonicalOrderBodySchema,
  KillSwitchBodySchema,
  ORDER_FIELD_ALIASES,
  TradingStateBodySchema,
} from './schemas';

type Scope = 'read' | 'trade' | 'admin' | 'public';
interface Route {
  readonly method: 'get' | 'post' | 'delete';
  readonly path: string;
  readonly scope: Scope;
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly query?: readonly string[];
}

/** Every route of the gateway, as the README's table lists them. */
const ROUTES: readonly Route[] = [
  { method: 'get', path: '/api/accounts', scope: 'read', summary: "The key's accounts" },
  { method: 'get', path: '/api/accounts/{id}', scope: 'read', summary: 'One account' },
  {
    method: 'get',
    path: '/api/accounts/{id}/positions',
    scope: 'read',
    summary: 'Net positions, paged',
    query: ['limit', 'cursor'],
  },
  {
    method: 'get',
    path: '/api/accounts/{id}/orders',
    scope: 'read',
    summary: 'Orders, paged',
    query: ['open', 'limit', 'cursor'],
  },
  {
    method: 'get',
    path: '/api/accounts/{id}/fills',
    scope: 'read',
    summary: 'Fills, oldest first, paged',
    query: ['limit', 'cursor'],
  },
  {
    method: 'get',
    path: '/api/accounts/{id}/equity',
    scope: 'read',
    summary: 'Recent equity samples { ts, equity }, oldest first (the last 500)',
  },
  {
    method: 'post',
    path: '/api/orders',
    scope: 'trade',
    summary: `Submit an order (aliases accepted: ${Object.entries(ORDER_FIELD_ALIASES)
      .map(([a, f]) => `${a}→${f}`)
      .join(', ')}; upper-case type, side, timeInForce)`,
    body: CanonicalOrderBodySchema,
  },
  {
    method: 'delete',
    path: '/api/orders/{clientOrderId}',
    scope: 'trade',
    summary: 'Cancel an open order (accountId in the query or the body)',
    body: CancelBodySchema,
    query: ['accountId'],
  },
  { method: 'get', path: '/api/strategies', scope: 'read', summary: 'Strategies' },
  {
    method: 'post',
    path: '/api/strategies/{id}/start',
    scope: 'admin',
    summary: 'Resume a paused strategy (409 STRATEGY_STOPPED for one that stopped or failed)',
  },
  {
    method: 'post',
    path: '/api/strategies/{id}/stop',
    scope: 'admin',
    summary: 'Pause a strategy: bars no longer reach its onBar; its working orders go on',
  },
  { method: 'get', path: '/api/risk', scope: 'read', summary: 'Trading states' },
  {
    method: 'post',
    path: '/api/risk/kill-switch',
    scope: 'admin',
    summary: 'Halt trading, optionally flatten',
    body: KillSwitchBodySchema,
  },
  {
    method: 'post',
    path: '/api/risk/trading-state',
    scope: 'admin',
    summary: 'Set or lift a hold',
    body: TradingStateBodySchema,
  },
  { method: 'post', path: '/api/stream-token', scope: 'read', summary: 'A single-use token for /api/stream' },
  { method: 'get', path: '/api/stream', scope: 'read', summary: 'Server-sent events', query: ['token'] },
  { method: 'get', path: '/health', scope: 'public', summary: 'Health of the backend' },
  { method: 'get', path: '/metrics', scope: 'public', summary: 'Prometheus metrics' },
  { method: 'get', path: '/api/openapi.json', scope: 'public', summary: 'This document' },
];

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        problems: {
          type: 'array',
          description: 'Every problem of a 400 VALIDATION_FAILED at once',
          items: {
            type: 'object',
            required: ['field', 'message'],
            properties: {
              field: { type: 'string' },
              message: { type: 'string' },
              allowed: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};

/**
 * The gateway's OpenAPI 3.1 document: routes, scopes, request bodies (from the zod schemas) and the
 * error shape; `/metrics` only when the app serves it (`metricsRoute`, default true).
 */
export function openApiDocument(options: { readonly metricsRoute?: boolean } = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    if (route.path === '/metrics' && options.metricsRoute === false) continue;
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = (route.query ?? []).map((name) => ({
      name,
      in: 'query',
      required: false,
      schema: { type: 'string' },
    }));
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method] = {
      summary: route.summary,
      ...(route.scope === 'public' ? { security: [] } : { security: [{ bearer: [route.scope] }] }),
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: route.method !== 'delete',
              content: {
                'application/json': {
                  schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        '200': { description: 'OK' },
        '4XX': { description: 'A typed error', content: { 'application/json': { schema: ERROR } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'rxtrade gateway',
      version: '0.1.0',
      description: 'See examples/services/gateway/README.md',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key with scopes read, trade, admin' },
      },
    },
    paths,
  };
}
