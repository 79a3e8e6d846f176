import type { ChildProcess } from 'node:child_process';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { expectNothingLeft, fleetServersUp } from '../test/fleet-servers';
import { rxtrade } from '../test/rxtrade-process';

/**
 * `rxtrade fleet` without `--until-done`, used as a person would: it prints the gateway's URL and a
 * first API key, an order placed with that key reaches the fleet's risk and order roles and fills on
 * the bars still being replayed, its fill is kept in PostgreSQL, and Ctrl-C stops every process and
 * removes what the run created (queues, exchanges, Redis keys, the history schema).
 */
const PG_URL = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgUrl = new URL(PG_URL);
const up =
  (await fleetServersUp()) &&
  (await requireService('PostgreSQL', () => probeTcp(pgUrl.hostname, Number(pgUrl.port || 5432))));

describe.skipIf(!up)('rxtrade fleet without --until-done: the gateway', () => {
  it('prints a gateway URL and an API key; POST /api/orders with it is 201 and fills; Ctrl-C leaves nothing', async () => {
    let child: ChildProcess | undefined;
    let resolveGateway: (gateway: { url: string; key: string }) => void = () => {};
    const printed = new Promise<{ url: string; key: string }>((resolve) => {
      resolveGateway = resolve;
    });
    let url = '';
    let errSoFar = '';
    const fleet = rxtrade(
      [
        'fleet',
        '--strategy',
        'examples/sma-crossover/src/strategy.ts',
        '--data',
        'sp500',
        '--from',
        '2004-01-01',
        '--to',
        '2004-12-31',
        // 252 bars at 5 a second: the replay still runs when the order is placed.
        '--speed',
        '5',
      ],
      {
        started: (c) => {
          child = c;
        },
        onErrLine: (line) => {
          errSoFar += `${line}\n`;
          const gateway = /^gateway: (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
          if (gateway) url = gateway[1] as string;
          const key = /^API key: (rxk_\S+)/.exec(line);
          if (key) resolveGateway({ url, key: key[1] as string });
        },
      },
    );
    const gateway = await Promise.race([
      printed,
      fleet.then((run) => {
        throw new Error(`rxtrade fleet exited before it printed the gateway: ${run.err}`);
      }),
    ]);
    const headers = { authorization: `Bearer ${gateway.key}`, 'content-type': 'application/json' };
    const placed = await fetch(`${gateway.url}/api/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        accountId: 'default',
        instrumentId: 'SPX',
        side: 'buy',
        type: 'market',
        quantity: 3,
      }),
    });
    const body = (await placed.json()) as { order: { clientOrderId: string } };
    expect(placed.status, JSON.stringify(body)).toBe(201);
    // The order fills on a later bar of the replay; the gateway lists it among the account's fills.
    let fill: { clientOrderId: string; lastQty: number } | undefined;
    for (let attempt = 0; attempt < 150 && fill === undefined; attempt++) {
      const listed = await fetch(`${gateway.url}/api/accounts/default/fills?limit=500`, { headers });
      expect(listed.status).toBe(200);
      const { fills } = (await listed.json()) as { fills: { clientOrderId: string; lastQty: number }[] };
      fill = fills.find((f) => f.clientOrderId === body.order.clientOrderId);
      if (fill === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    expect(fill).toMatchObject({ clientOrderId: body.order.clientOrderId, lastQty: 3 });
    // A wrong key is refused.
    const refused = await fetch(`${gateway.url}/api/accounts/default/fills`, {
      headers: { authorization: `Bearer ${gateway.key.slice(0, -2)}xx` },
    });
    expect(refused.status).toBe(401);

    // The order replica wrote the fill to the run's PostgreSQL schema, as the services' order process does.
    const schema = /fills history in \S+ schema (\w+)/.exec(errSoFar)?.[1] as string;
    expect(schema).toMatch(/^rxtrade_fleet_/);
    const pg = new Pool({ connectionString: PG_URL, max: 1 });
    try {
      let rows: { client_order_id: string }[] = [];
      for (let attempt = 0; attempt < 50 && rows.length === 0; attempt++) {
        ({ rows } = await pg.query(
          `SELECT client_order_id FROM "${schema}".fills WHERE client_order_id = $1`,
          [body.order.clientOrderId],
        ));
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(rows).toHaveLength(1);

      child?.kill('SIGINT');
      const run = await fleet;
      // Interrupted before the replay's end: no summary, the exit code of Ctrl-C.
      expect(run.code, run.err).toBe(130);
      expect(run.err).toContain('rxtrade: stopping the fleet (Ctrl-C)');
      expect(run.err).toContain(`dropped the PostgreSQL schema ${schema}`);
      await expectNothingLeft(run.err);
      const left = await pg.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        schema,
      ]);
      expect(left.rows).toEqual([]);
      await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    } finally {
      await pg.end();
    }
  }, 400_000);
});
